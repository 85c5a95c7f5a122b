"""Train -> register -> promote -> load -> score through a real SQLite-backed MLflow registry."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import skops.io
from typer.testing import CliRunner

from features.errors import LeadscoreError
from features.spec import DatasetSpec
from serving.cli.main import app
from training.fit.train import TrainOptions
from training.registry.gate import decide_promotion
from training.registry.publish import train_and_publish
from training.registry.tracking import load_model


def test_gate_promotes_only_a_model_that_is_not_worse():
    champion = {"roc_auc": 0.880, "brier": 0.130}
    assert decide_promotion({"roc_auc": 0.879, "brier": 0.130}, champion)[0]  # within 0.002, Brier equal
    assert not decide_promotion({"roc_auc": 0.877, "brier": 0.120}, champion)[0]  # AUC lower by 0.003
    ok, why = decide_promotion({"roc_auc": 0.890, "brier": 0.131}, champion)
    assert not ok and "Brier score worse" in why
    assert decide_promotion({"roc_auc": 0.5, "brier": 0.3}, None) == (True, "no champion yet")


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    return tmp_path


@pytest.mark.slow
def test_round_trip_and_gate_both_ways(registry, synthetic_spec, synthetic_dir):
    spec = DatasetSpec.model_validate(synthetic_spec)
    first = train_and_publish(spec, TrainOptions(tune_trials=2, register=True, promote=True))
    assert first.promoted and first.version == "1"

    champion = load_model("models:/leadscore-synthetic@champion")
    assert champion.version == "1"
    X = first.training_set.frame[first.training_set.features].head(300)
    np.testing.assert_allclose(champion.pipeline.predict_proba(X), first.pipeline.predict_proba(X), atol=1e-12)
    assert champion.metadata.bands.hot > champion.metadata.bands.warm
    assert "email" in champion.metadata.pii

    # a weaker model (only where the lead is) must not replace the champion
    weak = copy.deepcopy(synthetic_spec)
    leads = pd.read_csv(synthetic_dir / "leads.csv", nrows=1)
    keep = {"lead_id", "created_at", "country", "city"}
    weak["features"]["exclude"] = [c for c in leads.columns if c not in keep | set(weak["features"]["pii"])
                                   and c not in weak["features"]["known_after_contact"]]
    second = train_and_publish(DatasetSpec.model_validate(weak),  # past the no-skill gate: the comparison decides
                               TrainOptions(tune_trials=0, register=True, promote=True, allow_no_skill=True))
    assert second.promoted is False and "kept the champion" in second.gate_message
    assert load_model("models:/leadscore-synthetic@champion").version == "1"

    # the same data and settings again: not worse, so it is promoted
    third = train_and_publish(spec, TrainOptions(tune_trials=2, register=True, promote=True))
    assert third.promoted and load_model("models:/leadscore-synthetic@champion").version == "3"

    out = registry / "scored.csv"
    result = CliRunner().invoke(app, ["score", "--model", "models:/leadscore-synthetic@champion",
                                      "--input", str(synthetic_dir / "leads.csv"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    leads = pd.read_csv(synthetic_dir / "leads.csv")
    assert scored["lead_id"].tolist() == leads["lead_id"].tolist()
    assert scored["score"].between(0, 100).all() and set(scored["band"]) == {"hot", "warm", "cold"}
    assert scored["top_positive"].str.contains("raises the score").mean() > 0.9
    named = {r["feature"] for item in scored["reasons"].map(json.loads) for side in item.values() for r in side}
    assert named and not named & {"email", "phone", "contact_name"}
    assert not scored["reasons"].str.contains("@example.com").any()


class Untrusted:
    def __init__(self):
        self.payload = "anything"


def test_untrusted_types_are_refused(tmp_path):
    skops.io.dump({"model": Untrusted()}, tmp_path / "model.skops")
    with pytest.raises(LeadscoreError, match="refusing to load untrusted types"):
        load_model(str(tmp_path))


def test_score_bad_input_exits_2_without_output(registry, tmp_path):
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(app, ["score", "--model", "models:/nope@champion", "--input", "x.csv",
                                      "--output", str(out)])
    assert result.exit_code == 2 and "cannot find model 'models:/nope@champion'" in " ".join(result.output.split())
    assert not out.exists()
