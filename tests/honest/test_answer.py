"""Score, band, reasons and action agree (issue 23, point 4): the band follows from the score beside it
(never 63 "cold" where the average lead scores 60, without words), actions fit the kind of record, and
batch scoring and the service decide the rules' fallback by the same code."""

import numpy as np
import pandas as pd
import pytest
import yaml
from honest_helpers import opportunities

from serving.config import ServiceConfig
from serving.scorer import Scorer
from training.evaluate.metrics import assign_bands, band_thresholds
from training.registry.contract import Bands
from training.registry.tracking import load_model
from training.scoring.answer import band_note, percentile
from training.scoring.score import score_frame


@pytest.fixture(scope="module")
def deals(tmp_path_factory):
    """A model of an opportunities export with a 60% win rate, its spec saying the rows are opportunities."""
    from honest_helpers import run

    tmp = tmp_path_factory.mktemp("deals")
    frame = opportunities(1200, seed=1, signal=1.5, base_rate=0.6)
    frame = frame[frame["deal_stage"].isin(["Won", "Lost"])].drop(columns=["close_date", "close_value"])
    frame.to_csv(tmp / "deals.csv", index=False)
    spec = {"name": "deals", "record": "opportunity",
            "leads": {"path": str(tmp / "deals.csv"), "id": "opportunity_id", "created_at": "engage_date"},
            "outcome": {"column": "deal_stage", "positive": ["Won"], "negative": ["Lost"]},
            "features": {"exclude": ["account"]}}
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec))
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp}/mlflow.db")
    patch.chdir(tmp)
    result, text = run("train", "--spec", tmp / "spec.yaml", "--promote")
    assert result.exit_code == 0, result.output
    yield tmp, frame
    patch.undo()


@pytest.mark.slow
def test_a_score_above_the_average_lead_is_never_cold_and_the_band_is_explained(deals):
    _, frame = deals
    scorer = Scorer(ServiceConfig(model_uri="models:/leadscore-deals@champion"))
    assert scorer.load()
    leads = frame.drop(columns=["deal_stage"]).to_dict("records")
    results = scorer.score(leads).results
    assert {r["source"] for r in results} == {"model"}
    average = results[0]["average_score"]
    assert 55 <= average <= 65  # the training win rate, as a score
    for r in results:
        if r["score"] >= average:
            assert r["band"] != "cold", r
        assert f"against {average:.0f} for the average deal" in r["band_note"]
        assert r["band_note"].split(". ")[-1].lower().startswith(r["band"])
        assert 0 <= r["percentile"] <= 100
        assert "nurture" not in r["action"]["text"]  # an open deal gets a next step of a deal
    hot = [r for r in results if r["band"] == "hot"]
    assert hot and all("close date" in r["action"]["text"] for r in hot)
    zh, = scorer.score(leads[:1], lang="zh").results
    assert "平均商机" in zh["band_note"]


@pytest.mark.slow
def test_batch_and_service_decide_the_fallback_the_same_way(deals):
    tmp, frame = deals
    model = load_model("models:/leadscore-deals@champion")
    leads = frame.drop(columns=["deal_stage"]).head(60).copy()
    sparse = leads.index[::2]  # every other lead keeps only one field besides its id
    for column in ["sales_agent", "product", "region", "engage_date"]:
        leads[column] = leads[column].astype(object)
        leads.loc[sparse, column] = None
    batch = score_frame(model, leads)
    scorer = Scorer(ServiceConfig(model_uri="models:/leadscore-deals@champion"))
    assert scorer.load()
    records = [{k: v for k, v in row.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
               for row in leads.to_dict("records")]
    served = scorer.score(records).results
    assert (batch["source"] == "rules").sum() == len(sparse)
    for (_, row), answer in zip(batch.iterrows(), served, strict=True):
        assert row["source"] == answer["source"]
        assert (None if pd.isna(row["fallback_reason"]) else row["fallback_reason"]) == answer["fallback_reason"]
        assert (None if pd.isna(row["score"]) else int(row["score"])) == answer["score"]
        assert (None if pd.isna(row["band"]) else row["band"]) == answer["band"]


@pytest.mark.parametrize("base_rate", [0.6, 0.05])
def test_default_bands_on_a_common_and_a_rare_outcome(base_rate):
    """The documented default: top 10% hot, next 30% warm, and never cold at or above the average lead."""
    rng = np.random.default_rng(0)
    logit = np.log(base_rate / (1 - base_rate)) + rng.normal(0, 0.8, 20_000)
    p = 1 / (1 + np.exp(-logit))
    average = float(p.mean())
    thresholds = band_thresholds(p, 0.10, 0.30, average)
    bands = assign_bands(p, thresholds)
    assert abs((bands == "hot").mean() - 0.10) < 0.01
    assert not ((bands == "cold") & (p >= average)).any()
    assert (bands != "cold").mean() >= 0.40 - 0.01
    meta = Bands(**thresholds, average=average, quantiles=list(np.quantile(p, np.linspace(0, 1, 101))),
                 hot_share=0.1, warm_share=0.3)
    lead = float(np.quantile(p, 0.55))
    band = str(assign_bands(np.array([lead]), thresholds)[0])
    note = band_note(band, lead * 100, meta, "en", "lead", percentile(lead, meta.quantiles))
    assert f"against {average * 100:.0f} for the average lead" in note and "higher than 5" in note
    if lead >= average:
        assert band != "cold"
