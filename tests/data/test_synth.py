"""The synthetic export: realistic, deterministic, with a planted signal and personal data."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features.synth.export import generate, generate_export


def test_same_seed_same_export():
    a, b = generate(500, seed=3), generate(500, seed=3)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not generate(500, seed=4)[0].equals(a[0])


def test_export_looks_like_a_crm(synthetic_dir):
    leads = pd.read_csv(synthetic_dir / "leads.csv")
    outcomes = pd.read_csv(synthetic_dir / "outcomes.csv")
    truth = pd.read_csv(synthetic_dir / "truth.csv")
    assert len(leads) == len(truth) == 4000
    assert set(leads["channel"]) == {"web form", "organic search", "paid search", "social", "content download",
                                     "webinar", "trade show", "referral", "partner", "existing customer"}
    assert {"contact_name", "email", "phone", "created_at", "hours_to_first_response"} <= set(leads.columns)
    assert set(leads["budget"]) == {"high", "medium", "low", "unknown"}
    for column in ("need", "industry", "job_title", "city"):
        assert 0.02 < leads[column].isna().mean() < 0.25, column
    assert 0.10 <= truth["p_convert"].mean() <= 0.30
    assert outcomes["lead_id"].isin(leads["lead_id"]).mean() > 0.95  # a few orphan deals, as in real CRMs


def test_planted_signal_is_there():
    leads, outcomes, truth = generate(20_000, seed=1)
    won = leads["lead_id"].isin(outcomes["lead_id"])
    rate = won.groupby(leads["need"]).mean()
    assert rate["high"] > rate["medium"] > rate["low"]
    both = (leads["budget"] == "high") & (leads["decision_authority"] == "yes")
    assert won[both].mean() > won[leads["budget"] == "high"].mean()
    # truth is informative but not perfect: realistic lead data
    assert 0.75 < roc_auc_score(won, truth["p_convert"]) < 0.92
    assert np.all((truth["p_convert"] > 0) & (truth["p_convert"] < 1))


def test_variants_plant_what_they_promise():
    base = generate(6000, seed=2)
    rare = generate(6000, seed=2, variants=("rare",))
    assert rare[2]["p_convert"].mean() < 0.03 < base[2]["p_convert"].mean()
    linear, truth = generate(6000, seed=2, variants=("linear",))[0], generate(6000, seed=2, variants=("linear",))[2]
    assert np.corrcoef(linear["fit_score"], np.log(truth["p_convert"] / (1 - truth["p_convert"])))[0, 1] > 0.9
    accounts = generate(6000, seed=2, variants=("high-cardinality",))[0]["account"]
    assert accounts.nunique() > 1000
    leads, _, truth = generate(6000, seed=2, variants=("drift",))
    early, late = (leads["created_at"] < leads["created_at"].quantile(0.2),
                   leads["created_at"] > leads["created_at"].quantile(0.8))
    referral = leads["channel"] == "referral"  # among the best channels at the start, the worst at the end
    assert truth["p_convert"][referral & early].mean() > truth["p_convert"][early].mean()
    assert truth["p_convert"][referral & late].mean() < truth["p_convert"][late].mean()


def test_unknown_variant_names_the_choices():
    import pytest

    from features.errors import LeadscoreError

    with pytest.raises(LeadscoreError, match="high-cardinality"):
        generate(100, variants=("rarest",))


@pytest.mark.parametrize("variants", [(), ("linear",)], ids=["default", "linear"])
def test_fit_only_truth_is_the_truth_with_engagement_marginalised(variants):
    """p_convert is the probability given the fields and the activities, so its mean over leads of one
    fit-only probability must be that probability (E[truth | fields] = fit-only truth): checked per
    decile. A computation that ignored what the fields say about intent misses the top deciles far more
    (docs/benchmarks.md, "Engagement on the synthetic export")."""
    truth = generate_export(20_000, 3, variants=variants)["truth.csv"]
    fit_only = truth["p_convert_fit_only"]
    assert np.all((fit_only > 0) & (fit_only < 1))
    decile = pd.qcut(fit_only, 10, labels=False)
    by_decile = truth.groupby(decile).agg(fit_only=("p_convert_fit_only", "mean"), full=("p_convert", "mean"))
    assert np.abs(by_decile["full"] - by_decile["fit_only"]).max() < 0.01, by_decile
    # what engagement adds: the full truth separates more of the same leads' variation
    assert truth["p_convert"].std() > fit_only.std()
