"""Scoring a pipeline export with an accounts lookup, where some opportunities name no account: the
model was trained on such rows, so they are answered by the model, not by the rules."""

import numpy as np
import pandas as pd
import pytest

from features.build import build_training_set
from features.spec import DatasetSpec
from training.fit.metadata import model_metadata
from training.fit.train import TrainOptions, evaluate_all
from training.registry.tracking import LoadedModel
from training.scoring.answer import lead_columns, too_many_missing
from training.scoring.score import score_frame


@pytest.fixture(scope="module")
def pipeline_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    rng = np.random.default_rng(5)
    accounts = pd.DataFrame({"account": [f"Acct {i}" for i in range(30)],
                             "sector": rng.choice(["retail", "software", "medical"], 30),
                             "revenue": rng.lognormal(7, 1, 30).round(2), "employees": rng.integers(10, 5000, 30),
                             "office_location": rng.choice(["Kenya", "Japan", "Norway"], 30),
                             "year_established": rng.integers(1980, 2017, 30)})
    accounts.to_csv(folder / "accounts.csv", index=False)
    n = 600
    product = rng.choice(["GTX Basic", "MG Special", "GTK 500"], n)
    account = np.where(rng.random(n) < 0.2, None, rng.choice(accounts["account"], n))
    won = rng.random(n) < np.where(product == "GTK 500", 0.3, 0.7)
    pd.DataFrame({"opportunity_id": [f"O{i}" for i in range(n)], "product": product,
                  "sales_agent": rng.choice(["Ana Silva", "Moses Frase", "Violet Mclelland"], n),
                  "account": account, "deal_stage": np.where(won, "Won", "Lost")}).to_csv(folder / "pipeline.csv",
                                                                                       index=False)
    spec = DatasetSpec.model_validate({
        "name": "pipeline",
        "leads": {"path": str(folder / "pipeline.csv"), "id": "opportunity_id"},
        "outcome": {"column": "deal_stage", "positive": ["Won"], "negative": ["Lost"]},
        "lookups": [{"name": "account", "path": str(folder / "accounts.csv"), "key": "account", "via": "account"}],
    })
    result = evaluate_all(build_training_set(spec, check_leakage=False), TrainOptions(tune_trials=0, n_jobs=1))
    return LoadedModel(pipeline=result.pipeline, metadata=model_metadata(result), uri="test")


def test_a_blank_lookup_key_is_one_missing_field_not_every_joined_column(pipeline_model):
    leads = pd.DataFrame({"opportunity_id": ["with", "without", "empty"],
                          "product": ["GTX Basic", "GTX Basic", None],
                          "sales_agent": ["Ana Silva", "Ana Silva", None],
                          "account": ["Acct 3", None, None]})
    scored = score_frame(pipeline_model, leads).set_index("opportunity_id")
    # 'without' lacks 6 of the model's 8 columns (the account and its 5 joined columns), as did a fifth of
    # the training rows; it used to be answered by the rules ('too_many_missing_features').
    assert scored.loc["without", "source"] == "model" and scored.loc["without", "probability"] > 0
    assert scored.loc["with", "source"] == "model"
    assert scored.loc["empty", "source"] == "rules"  # none of its own fields: still the rules
    assert scored.loc["empty", "fallback_reason"] == "too_many_missing_features"

    counted = lead_columns(pipeline_model.pipeline)
    names = list(pipeline_model.pipeline.named_steps["encode"].feature_names_in_)
    assert [n for n, c in zip(names, counted, strict=True) if c] == ["product", "sales_agent", "account"]
    matrix = pipeline_model.pipeline.named_steps["encode"].transform(
        pipeline_model.pipeline.named_steps["context"].transform(leads))
    assert too_many_missing(matrix).tolist() == [False, True, True]  # every column counted: the old answer


def test_an_old_activity_file_scored_as_of_now_says_to_pass_as_of(trained, synthetic_dir, tmp_path):
    # An export of last year scored without --as-of: every lead counted as inactive for a year and scored
    # near 0, with only the band mix's warning to hint why.
    from training.scoring.related import score_inputs

    loaded = LoadedModel(pipeline=trained.pipeline, metadata=model_metadata(trained), uri="test")
    events = pd.read_csv(synthetic_dir / "activities.csv", nrows=200)
    at = loaded.pipeline.named_steps["context"].event_columns["at"]
    events[at] = "2020-03-02T10:00:00"
    events.to_csv(tmp_path / "old.csv", index=False)
    _, _, notes = score_inputs(loaded, tmp_path / "old.csv", None)
    stale = [n for n in notes if n.startswith("--as-of was not given")]
    assert len(stale) == 1 and "dated 2020-03-02" in stale[0] and "pass --as-of" in stale[0]
    _, when, notes = score_inputs(loaded, tmp_path / "old.csv", "2020-03-05")
    assert when == pd.Timestamp("2020-03-05") and not [n for n in notes if n.startswith("--as-of")]


def test_a_joined_column_sent_in_a_request_names_its_lookup_not_activities(pipeline_model):
    # A model with an accounts lookup and no activities was told to "send the lead's activities".
    from features.context import check_fields
    from features.errors import LeadscoreError

    with pytest.raises(LeadscoreError) as caught:
        check_fields([{"opportunity_id": "x", "account sector": "retail"}], pipeline_model.pipeline)
    text = str(caught.value)
    assert "field 'account sector' of lead 1: expected no value" in text
    assert "from the lookup table 'account', joined by the lead's 'account'; leave it out and send 'account'" in text
    assert "activities" not in text and caught.value.loc == ("leads", 0, "account sector")
    with pytest.raises(LeadscoreError, match="joined by the lead's 'account'"):
        check_fields([{"account_sector": "retail"}], pipeline_model.pipeline)  # its safe name too


def test_questions_asked_of_a_model_with_no_askable_field_say_why_they_are_empty(pipeline_model, tmp_path,
                                                                                 monkeypatch):
    # `score --questions` on a spec without 'askable' or a rule table wrote empty questions columns, silently.
    import training.registry.tracking
    from training.scoring.run import ScoreOptions, run_score

    monkeypatch.setattr(training.registry.tracking, "load_model", lambda uri: pipeline_model)
    pd.DataFrame({"opportunity_id": ["a", "b"], "product": ["GTX Basic", "GTK 500"], "sales_agent": ["Ana Silva"] * 2,
                  "account": ["Acct 1", None]}).to_csv(tmp_path / "open.csv", index=False)
    said = []
    options = ScoreOptions(model="m", output=str(tmp_path / "out.csv"), input=tmp_path / "open.csv", no_log=True,
                           questions=True)
    run_score(options, said.append)
    warnings = [str(line.text) for line in said if line.warning]
    assert any(w.startswith("--questions: this model has no askable fields") and "'askable'" in w for w in warnings)
    assert pd.read_csv(tmp_path / "out.csv")["questions"].isna().all()
    said.clear()
    run_score(ScoreOptions(model="m", output=str(tmp_path / "out2.csv"), input=tmp_path / "open.csv", no_log=True),
              said.append)
    assert not [line for line in said if line.warning and "--questions" in str(line.text)]
