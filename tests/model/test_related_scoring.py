"""`leadscore score` of a model with lookups and activities: --activities and --as-of, scores that decay
without new activity, and scored leads that miss a lookup far more often than training rows did."""

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from serving.cli.main import app


@pytest.fixture
def scored(registry, synthetic_dir, tmp_path, monkeypatch):
    uri, _ = registry
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    leads = pd.read_csv(synthetic_dir / "leads.csv", nrows=400)
    leads.to_csv(tmp_path / "leads.csv", index=False)

    def score(as_of: str, *extra, leads_file=tmp_path / "leads.csv"):
        out = tmp_path / f"out-{as_of}-{len(extra)}.csv"
        result = CliRunner().invoke(app, ["score", "--model", "models:/leadscore-synthetic@champion", "--input",
                                          str(leads_file), "--output", str(out), "--no-log", "--as-of", as_of,
                                          *extra])
        assert result.exit_code == 0, result.output
        return pd.read_csv(out), " ".join(result.output.split())

    return score, leads


def test_scores_decay_when_rescored_later_without_new_activity(scored, synthetic_dir):
    score, leads = scored
    events = pd.read_csv(synthetic_dir / "activities.csv", parse_dates=["occurred_at"])
    cut = pd.Timestamp(leads["created_at"].max()) + pd.Timedelta(days=3)
    events[events["occurred_at"] <= cut].to_csv(synthetic_dir.parent / "acts-cut.csv", index=False)
    activities = ["--activities", str(synthetic_dir.parent / "acts-cut.csv")]
    now, _ = score(str(cut.date()), *activities)
    later, _ = score(str((cut + pd.Timedelta(days=60)).date()), *activities)
    engaged = now["lead_id"].isin(events.loc[events["occurred_at"] > cut - pd.Timedelta(days=7), "lead_id"])
    assert engaged.sum() > 10
    assert later.loc[engaged, "probability"].mean() < now.loc[engaged, "probability"].mean()
    _, text = score(str(cut.date()))
    assert "--activities was not given" in text


def test_score_run_names_a_lookup_missed_far_more_than_in_training(scored, tmp_path):
    score, leads = scored
    leads.loc[leads.index[: int(len(leads) * 0.7)], "account_id"] = None
    leads.to_csv(tmp_path / "fewer.csv", index=False)
    _, text = score("2026-07-01", leads_file=tmp_path / "fewer.csv")
    shift = re.search(r"lookup 'account': (\d+)% of scored leads match no row, against (\d+)% of training rows", text)
    assert shift and int(shift.group(1)) >= 70 and int(shift.group(2)) <= 5, text  # 70% blanked, a few typos
