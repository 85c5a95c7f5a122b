"""`leadscore init` through the CLI: a spec that builds (and trains) after editing only the outcome."""

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from features.synth.export import write_export
from serving.cli.main import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result, " ".join(result.output.split())


@pytest.mark.slow
def test_init_on_the_synthetic_export_builds_and_trains(tmp_path, synthetic_dir, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "mine.yaml"
    result, _ = run("init", "--from", synthetic_dir / "leads.csv", "--outcomes", synthetic_dir / "outcomes.csv",
                    "--out", spec)
    assert result.exit_code == 0, result.output
    raw = yaml.safe_load(spec.read_text())
    assert raw["leads"]["id"] == "lead_id" and raw["leads"]["created_at"] == "created_at"
    assert "date_format" not in raw["leads"]  # ISO dates need no format
    assert set(raw["features"]["pii"]) == {"contact_name", "email", "phone"}
    assert raw["outcome"]["id"] == "lead_id" and raw["outcome"]["won_at"] == "won_at"
    assert raw["outcome"]["horizon_days"] is None and "FILL IN" in spec.read_text()
    spec.write_text(spec.read_text().replace("horizon_days: null", "horizon_days: 90"))  # the outcome edit
    result, text = run("build", "--spec", spec, "--out", tmp_path / "t.parquet")
    assert result.exit_code == 0, result.output
    assert "snapshot" in text
    result, text = run("train", "--spec", spec, "--tune-trials", "0")
    assert result.exit_code == 0, result.output
    assert "held-out metrics" in text


def test_init_on_x_education_flags_after_contact_columns_and_builds(tmp_path, x_education_csv):
    spec = tmp_path / "x.yaml"
    result, text = run("init", "--from", x_education_csv, "--out", spec)
    assert result.exit_code == 0, result.output
    written = spec.read_text()
    raw = yaml.safe_load(written)
    assert raw["leads"]["id"] == "Prospect ID" and raw["features"]["exclude"] == ["Lead Number"]
    assert raw["outcome"] == {"column": "Converted", "positive": ["1"], "negative": ["0"]}
    assert raw["leads"]["missing_values"] == ["Select"]
    assert raw["features"]["known_after_contact"] == ["Tags"]  # 0.92 alone: would stop the build
    assert '# - "Lead Quality"  # CHECK: ROC-AUC 0.7' in written  # warned about in a comment with its figure
    assert "warning: column 'Tags' alone separates the outcome at ROC-AUC 0.919" in text
    glossary = yaml.safe_load((tmp_path / "x.display.yaml").read_text())
    assert glossary["en"]["fields"]["TotalVisits"] == "Total visits" and glossary["zh"] == {"fields": {}}
    result, _ = run("build", "--spec", spec, "--out", tmp_path / "x.parquet")
    assert result.exit_code == 0, result.output
    profile = json.loads((tmp_path / "x.profile.json").read_text())
    assert "Lead Quality" in {w["column"] for w in profile["leak_warnings"]}


def test_init_asks_for_an_unproven_date_order_and_never_overwrites(tmp_path):
    export = write_export(tmp_path / "dmy", 400, seed=2, date_format="%d/%m/%Y")
    leads = pd.read_csv(export / "leads.csv")
    leads = leads[leads["created_at"].str.slice(0, 2).astype(int) <= 12]
    leads.to_csv(export / "leads.csv", index=False)
    spec = tmp_path / "s.yaml"
    result, _ = run("init", "--from", export / "leads.csv", "--out", spec)
    assert result.exit_code == 0, result.output
    written = spec.read_text()
    assert 'date_format: null  # CHECK:' in written and "(%d/%m/%Y) or month first (%m/%d/%Y)" in written
    before = written
    result, text = run("init", "--from", export / "leads.csv", "--out", spec)
    assert result.exit_code == 2 and "already exists; pass --force" in text
    assert spec.read_text() == before
    result, text = run("init", "--from", tmp_path / "nowhere.csv", "--out", tmp_path / "n.yaml", "--force")
    assert result.exit_code == 2 and "file not found" in text and not (tmp_path / "n.yaml").exists()
