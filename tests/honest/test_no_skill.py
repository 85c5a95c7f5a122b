"""A model with no skill is never served silently (issue 23, point 3): red line, warning in the run's
summary, `no_skill` tag on the MLflow run, and --promote refuses it (exit 3) unless --allow-no-skill."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from training.evaluate.skill import skill_report, verdict


def _no_signal_export(tmp_path, n=700, seed=3):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "id": [f"L{i}" for i in range(n)],
        "created": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")).strftime(
            "%Y-%m-%d"),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "size": rng.integers(1, 500, n),
        "visits": rng.poisson(3, n),
        "won": np.where(rng.random(n) < 0.6, "yes", "no"),
    })
    frame.to_csv(tmp_path / "leads.csv", index=False)
    spec = {"name": "noskill", "leads": {"path": str(tmp_path / "leads.csv"), "id": "id", "created_at": "created"},
            "outcome": {"column": "won", "positive": ["yes"], "negative": ["no"]}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path / "spec.yaml"


def test_bootstrap_calls_a_small_difference_a_tie_and_a_real_one_a_win():
    rng = np.random.default_rng(0)
    y = (rng.random(3000) < 0.3).astype(int)
    good = y * 0.3 + rng.random(3000)
    noise = rng.random(3000)
    report = skill_report(y, {"served": noise, "good": good, "same": noise + rng.normal(0, 1e-3, 3000),
                              "base_rate": np.full(3000, 0.3)}, "served")
    assert report["no_skill"] and "roc_auc" in report["no_skill_reasons"]
    assert report["versus"]["good"]["verdict"] == "better"
    assert report["versus"]["same"]["verdict"] == "tie"
    p = 1 / (1 + np.exp(-rng.normal(-1, 1.2, 3000)))
    drawn = (rng.random(3000) < p).astype(int)
    skilled = skill_report(drawn, {"served": p, "base_rate": np.full(3000, drawn.mean())}, "served")
    assert skilled["roc_auc"][0] > 0.5 and not skilled["no_skill"]
    assert verdict([-0.01, 0.02]) == "tie" and verdict([0.01, 0.02]) == "better" and verdict([-0.2, -0.1]) == "worse"


@pytest.mark.slow
def test_no_skill_model_is_refused_as_champion(tmp_path, monkeypatch, cli):
    spec = _no_signal_export(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    result, text = cli("train", "--spec", spec, "--promote", "--summary-json", tmp_path / "run.json")
    assert result.exit_code == 3, result.output
    assert "no skill: the model does not separate buyers" in text
    assert "champion kept" in text and "is the best model" not in text
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["promoted"] is False and summary["no_skill"] is True
    assert any(w.startswith("no skill") for w in summary["warnings"])
    assert "base_rate" in summary["metrics"]
    tags = MlflowClient().get_run(summary["run_id"]).data.tags
    assert tags["no_skill"] == "true" and tags["promoted"] == "false"
    # Nothing beats nothing: every other model ties or is worse, none is advice to switch.
    assert summary["baseline_beats_served_model"] is None

    result, text = cli("train", "--spec", spec, "--promote", "--allow-no-skill", "--summary-json",
                       tmp_path / "run2.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "run2.json").read_text())["promoted"] is True
