"""Training and scoring a user's own data through the CLI: no rule table, its own id name, where the
scores go (file or database table), and what the run records."""

import copy
import dataclasses
import json

import pandas as pd
import pytest
import sqlalchemy as sa
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from serving.cli.main import app
from serving.config import ServiceConfig
from serving.scorer import NO_RULES, Scorer
from training.registry.contract import ModelMetadata
from training.rules.table import rules_for_model
from training.scoring.output import band_mix

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result, " ".join(result.output.split())


@pytest.fixture(scope="module")
def own(tmp_path_factory, synthetic_spec, synthetic_dir):
    """A model trained on an export whose id column is 'Lead ID' and whose spec has no rule table."""
    tmp = tmp_path_factory.mktemp("own")
    leads = pd.read_csv(synthetic_dir / "leads.csv").head(2500).rename(columns={"lead_id": "Lead ID"})
    leads.to_csv(tmp / "leads.csv", index=False)
    raw = copy.deepcopy(synthetic_spec)
    raw.update(name="own", rules=None)
    raw["leads"].update(path=str(tmp / "leads.csv"), id="Lead ID")
    import yaml

    (tmp / "spec.yaml").write_text(yaml.safe_dump(raw))
    patch = pytest.MonkeyPatch()
    patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp}/mlflow.db")
    patch.chdir(tmp)
    result, text = run("train", "--spec", tmp / "spec.yaml", "--tune-trials", "0", "--promote",
                       "--summary-json", tmp / "summary.json")
    yield tmp, leads, result, text
    patch.undo()


@pytest.mark.slow
def test_train_reports_what_it_decided(own):
    tmp, _, result, text = own
    assert result.exit_code == 0, result.output
    assert text.count("no rule table in the spec") == 1
    assert "summary: leadscore ROC-AUC" in text
    summary = json.loads((tmp / "summary.json").read_text())
    assert summary["version"] == "1" and summary["promoted"] is True and summary["gate"] == "no champion yet"
    assert set(summary["metrics"]) == {"leadscore", "lightgbm", "base_rate", "logistic_regression", "naive_bayes_odoo"}
    run_info = MlflowClient().get_run(summary["run_id"])
    assert run_info.info.run_name.startswith("own-") and len(run_info.info.run_name) == len("own-20260101-1200")
    assert run_info.data.tags["gate"] == "no champion yet" and run_info.data.tags["promoted"] == "true"
    assert run_info.data.tags["settings"] == "default" and run_info.data.metrics["train_seconds"] > 0


@pytest.mark.slow
def test_score_keeps_id_name_and_columns_and_writes_a_table(own):
    tmp, leads, result, _ = own
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{tmp}/scores.db"
    args = ("score", "--model", "models:/leadscore-own@champion", "--input", tmp / "leads.csv", "--output", url,
            "--output-table", "scores", "--keep", "channel,country")
    for mode, rows in (("append", 2500), ("append", 5000), ("replace", 2500)):
        result, text = run(*args, "--output-mode", mode)
        assert result.exit_code == 0, result.output
        assert "band mix: hot" in text and "(training" in text
        with sa.create_engine(url).connect() as connection:
            table = pd.read_sql_table("scores", connection)
        assert len(table) == rows
    assert list(table.columns[:3]) == ["Lead ID", "channel", "country"]
    assert table["Lead ID"].tolist() == leads["Lead ID"].tolist()
    log = tmp / "keep-typo-log.db"
    result, text = run(*args[:-2], "--keep", "chanel", "--log-db", f"sqlite:///{log}")
    assert result.exit_code == 2 and "did you mean 'channel'?" in text
    if log.exists():  # nothing was written, so nothing may be in the prediction log either
        with sa.create_engine(f"sqlite:///{log}").connect() as connection:
            assert not sa.inspect(connection).has_table("predictions") or connection.execute(
                sa.text("select count(*) from predictions")).scalar() == 0
    result, text = run("score", "--model", "models:/leadscore-own@champion", "--input", tmp / "leads.csv",
                       "--output", tmp / "s.csv", "--output-table", "scores")
    assert result.exit_code == 2 and "--output-table needs --output as an SQLAlchemy URL" in text
    assert not (tmp / "s.csv").exists()


@pytest.mark.slow
def test_no_rule_table_means_null_rule_score_with_a_reason(own):
    _, leads, result, _ = own
    assert result.exit_code == 0, result.output
    scorer = Scorer(ServiceConfig(model_uri="models:/leadscore-own@champion"))
    assert scorer.load()
    lead = leads.drop(columns=["contact_name", "email", "phone"]).iloc[0].dropna().to_dict()
    metadata = scorer.state.model.metadata
    if metadata.fitted_rules:  # a points table learned at training stands in for the missing one
        learned, = scorer.score([lead]).results
        assert isinstance(learned["rule_score"], float) and learned["rule_note"] is None
        metadata.fitted_rules = None  # a model with no points table at all, as the scorer's load would take it
        scorer.state = dataclasses.replace(scorer.state, rules=rules_for_model(metadata, scorer.rules))
    full, partial = scorer.score([lead, {"Lead ID": "x", "channel": "referral"}]).results
    assert full["rule_score"] is None and full["rule_note"] == NO_RULES and full["source"] == "model"
    assert partial["fallback_reason"] == "too_many_missing_features"
    assert partial["score"] is None and partial["band"] is None and partial["rule_score"] is None


def test_band_mix_warns_when_hot_share_moves():
    meta = ModelMetadata(dataset="test", bands={"hot": 0.5, "warm": 0.2}, features={"a": "a"},
                         conversion_by_band={"hot": {"leads": 10}, "warm": {"leads": 30}, "cold": {"leads": 60}})
    same = pd.Series(["hot"] * 11 + ["warm"] * 29 + ["cold"] * 60)
    mix, warning = band_mix(same, meta)
    assert mix == "band mix: hot 11.0% (training 10.0%), warm 29.0% (training 30.0%), cold 60.0% (training 60.0%)"
    assert warning is None
    assert "hot share 25.0% against 10.0%" in band_mix(pd.Series(["hot"] * 25 + ["cold"] * 75), meta)[1]
    assert band_mix(pd.Series(["hot"] * 4 + ["cold"] * 96), meta)[1] is not None
