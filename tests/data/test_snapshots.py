"""Snapshot training rows (`activities.prediction: {snapshot_every_days, horizon_days}`): how many rows a
lead gets, their labels by horizon, rows not yet known, features as of each snapshot, the spec's checks."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.build import build_training_set
from features.spec import DatasetSpec
from serving.cli.main import app

AS_OF = "2026-02-28"


@pytest.fixture
def tiny(tmp_path):
    """Five leads by hand: A won on 20 Jan, B lost (closed) on 19 Jan, C still open, D won the day it was
    created, E created after the end of the data."""
    pd.DataFrame({
        "id": ["A", "B", "C", "D", "E"],
        "created": ["2026-01-01", "2026-01-05", "2026-01-10", "2026-01-03", "2026-03-05"],
        "closed": ["2026-01-20", "2026-01-19", None, "2026-01-03", None],
        "x": [1.0, 2.0, 3.0, 4.0, 5.0],
    }).to_csv(tmp_path / "leads.csv", index=False)
    pd.DataFrame({"id": ["A", "D"], "won_at": ["2026-01-20", "2026-01-03"]}).to_csv(tmp_path / "wins.csv",
                                                                                     index=False)
    pd.DataFrame([("A", "2025-12-30", "email open"), ("A", "2026-01-09", "pricing page"),
                  ("A", "2026-01-21", "contract sent"), ("C", "2026-01-20", "pricing page")],
                 columns=["lead", "at", "kind"]).to_csv(tmp_path / "acts.csv", index=False)
    return {"name": "tiny", "leads": {"path": str(tmp_path / "leads.csv"), "id": "id", "created_at": "created"},
            "outcome": {"path": str(tmp_path / "wins.csv"), "id": "id", "won_at": "won_at"},
            "activities": {"path": str(tmp_path / "acts.csv"), "lead_id": "lead", "at": "at", "type": "kind",
                           "windows": [7, 30], "min_type_count": 1,
                           "prediction": {"snapshot_every_days": 7, "horizon_days": 14, "closed_at": "closed"}},
            "evaluation": {"folds": 2}}


def built(raw):
    return build_training_set(DatasetSpec.model_validate(raw), as_of=AS_OF, check_leakage=False)


def rows_of(ts, lead):
    return ts.frame[ts.frame["lead_id"] == lead].sort_values("snapshot_at")


def test_a_row_per_lead_every_k_days_while_open(tiny):
    ts = built(tiny)
    counts = ts.frame["lead_id"].value_counts().to_dict()
    # A: 1, 8, 15 Jan (won on the 20th); B: 5, 12 Jan (closed on the 19th); C: 10 Jan .. 14 Feb, whose
    # horizon closed by 28 Feb (21 and 28 Feb are not yet known); D won at creation, E came after the end.
    assert counts == {"A": 3, "B": 2, "C": 6}
    assert list(rows_of(ts, "A")["snapshot_at"].dt.strftime("%m-%d")) == ["01-01", "01-08", "01-15"]
    assert rows_of(ts, "C")["snapshot_at"].max() == pd.Timestamp("2026-02-14")
    assert "closed" not in ts.frame.columns  # the close date is known only with the outcome: never a feature
    assert ts.label_report.not_yet_known == 2


def test_without_a_close_date_max_age_ends_the_snapshots(tiny):
    tiny["activities"]["prediction"] = {"snapshot_every_days": 7, "horizon_days": 14, "max_age_days": 14}
    counts = built(tiny).frame["lead_id"].value_counts().to_dict()
    assert counts == {"A": 3, "B": 3, "C": 3}  # 0, 7 and 14 days old; A's win still stops it first


def test_labels_by_horizon_after_each_snapshot(tiny):
    ts = built(tiny)
    assert list(rows_of(ts, "A")["label"]) == [0, 1, 1]  # the win on 20 Jan is 19, 12 and 5 days after them
    assert rows_of(ts, "B")["label"].sum() == 0 and rows_of(ts, "C")["label"].sum() == 0
    tiny["activities"]["prediction"]["horizon_days"] = 30
    longer = built(tiny)
    assert list(rows_of(longer, "A")["label"]) == [1, 1, 1]
    # C's snapshots of 31 Jan and later run past 28 Feb: not yet known, left out rather than counted as lost
    assert len(rows_of(longer, "C")) == 3 and longer.label_report.not_yet_known == 5


def test_features_as_of_each_snapshot(tiny):
    ts = built(tiny)
    a = rows_of(ts, "A")
    assert list(a["days_since_last_activity"]) == [2, 9, 6]
    assert list(a["pricing_page_in_the_last_7_days"]) == [0, 0, 1]
    assert list(a["email_open_in_the_last_30_days"]) == [1, 1, 1]
    assert not [c for c in ts.frame.columns if "contract" in c]  # only after the win: no row knows it
    c = rows_of(ts, "C")
    assert list(c["pricing_page_in_the_last_7_days"]) == [0, 0, 1, 0, 0, 0]  # 20 Jan: seen on the 24th


def test_profile_reports_snapshot_rows_and_leads(tiny):
    profile = built(tiny).profile()
    snapshots = profile["snapshots"]
    assert (snapshots["rows"], snapshots["leads"], snapshots["positives"]) == (11, 3, 2)
    assert snapshots["rows_not_yet_known"] == 2 and snapshots["leads_without_snapshot"] == 2
    assert snapshots["rows_per_lead_max"] == 6 and profile["rows"] == 11


@pytest.mark.parametrize(("prediction", "outcome", "expected"), [
    ({"age_days": 3, "snapshot_every_days": 7, "horizon_days": 14, "max_age_days": 60}, {},
     "either 'age_days'"),
    ({"snapshot_every_days": 7, "max_age_days": 60}, {}, "needs 'horizon_days'"),
    ({"snapshot_every_days": 7, "horizon_days": 14}, {}, "'activities.prediction.closed_at'"),
    ({"horizon_days": 14}, {}, "belongs to snapshots"),
    ({"snapshot_every_days": 0, "horizon_days": 14, "max_age_days": 60}, {}, "snapshot_every_days"),
    ({"snapshot_every_days": 7, "horizon_days": 14, "max_age_days": 60}, {"horizon_days": 90},
     "remove 'outcome.horizon_days'"),
    ({"snapshot_every_days": 7, "horizon_days": 14, "max_age_days": 60}, {"won_at": None},
     "needs a won-deals table with dates"),
])
def test_spec_mistakes_are_exit_2_naming_the_key(tiny, write_spec, tmp_path, prediction, outcome, expected):
    raw = copy.deepcopy(tiny)
    raw["activities"]["prediction"] = prediction
    raw["outcome"].update(outcome)
    raw["outcome"] = {k: v for k, v in raw["outcome"].items() if v is not None}
    out = tmp_path / "o.parquet"
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(raw)), "--out", str(out)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output and not out.exists(), result.output
    assert expected in text, text


def test_fixed_age_stays_the_default(tiny):
    tiny["activities"].pop("prediction")
    tiny["outcome"]["horizon_days"] = 30  # a fixed age labels by a horizon from creation (features/labels.py)
    ts = built(tiny)
    assert "snapshot_at" not in ts.frame and ts.frame["lead_id"].is_unique
    assert ts.relation.snapshots is None and "snapshots" not in ts.profile()


@pytest.fixture
def engaged_crm(tmp_path):
    """Leads whose engagement drives conversion, events before and after creation, losers closed at a
    date, and a 'contract sent' that happens only after a win."""
    rng = np.random.default_rng(3)
    n = 300
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    intent = rng.normal(size=n)
    won = rng.random(n) < 1 / (1 + np.exp(-(1.5 * intent - 1.0)))
    closed = created + pd.to_timedelta(rng.uniform(5, 80, n), unit="D")
    rows = []
    for i in range(n):
        for _ in range(rng.poisson(np.exp(1.0 + 0.8 * intent[i]))):
            rows.append((f"L{i}", created[i] + pd.Timedelta(hours=float(rng.uniform(-100, 24 * 90))),
                         str(rng.choice(["pricing page", "email open", "webinar"]))))
        if won[i]:
            rows.append((f"L{i}", closed[i] + pd.Timedelta(hours=3), "contract sent"))
    pd.DataFrame({"id": [f"L{i}" for i in range(n)], "created": created, "closed": closed,
                  "x": rng.normal(size=n)}).to_csv(tmp_path / "leads.csv", index=False)
    pd.DataFrame({"id": [f"L{i}" for i in np.flatnonzero(won)], "won_at": closed[won]}).to_csv(
        tmp_path / "wins.csv", index=False)
    pd.DataFrame(rows, columns=["lead", "at", "kind"]).to_csv(tmp_path / "acts.csv", index=False)
    raw = {"name": "engaged", "leads": {"path": str(tmp_path / "leads.csv"), "id": "id", "created_at": "created"},
           "outcome": {"path": str(tmp_path / "wins.csv"), "id": "id", "won_at": "won_at"},
           "activities": {"path": str(tmp_path / "acts.csv"), "lead_id": "lead", "at": "at", "type": "kind",
                          "windows": [7, 30], "min_type_count": 1,
                          "prediction": {"snapshot_every_days": 5, "horizon_days": 21, "closed_at": "closed"}},
           "evaluation": {"folds": 3}}
    return tmp_path, raw


def test_no_event_after_a_snapshot_reaches_its_features(engaged_crm):
    """Counted by brute force per row, from the events at or before its snapshot only."""
    folder, raw = engaged_crm
    ts = build_training_set(DatasetSpec.model_validate(raw))
    assert not ts.frame["lead_id"].is_unique  # several snapshots per lead
    events = pd.read_csv(folder / "acts.csv", parse_dates=["at"])
    sample = ts.frame.sample(200, random_state=0)
    for row in sample.itertuples():
        mine = events[(events["lead"] == row.lead_id) & (events["at"] <= row.snapshot_at)]
        recent = mine[mine["at"] > row.snapshot_at - pd.Timedelta(days=7)]
        assert row.pricing_page_in_the_last_7_days == (recent["kind"] == "pricing page").sum()
        assert row.activity_types == mine["kind"].nunique()
        last = (row.snapshot_at - mine["at"].max()) / pd.Timedelta(days=1) if len(mine) else np.nan
        assert (np.isnan(last) and np.isnan(row.days_since_last_activity)) or \
            row.days_since_last_activity == pytest.approx(last, abs=1e-3)
    assert ts.relation.activities.after_prediction_time > 0


def test_after_the_win_activity_moves_nothing_with_snapshots(engaged_crm):
    folder, raw = engaged_crm
    spec = DatasetSpec.model_validate(raw)
    with_contracts = build_training_set(spec)
    acts = pd.read_csv(folder / "acts.csv")
    acts[acts["kind"] != "contract sent"].to_csv(folder / "acts.csv", index=False)
    without = build_training_set(spec)
    pd.testing.assert_frame_equal(with_contracts.frame, without.frame)
    assert not [c for c in with_contracts.feature_names if "contract" in c]
    assert with_contracts.frame["label"].sum() > 20
    assert {s.column: s.auc for s in with_contracts.strengths}["engagement_score"] > 0.6


def test_build_prints_and_writes_the_snapshot_counts(engaged_crm, write_spec, tmp_path):
    _, raw = engaged_crm
    out = tmp_path / "o.parquet"
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(raw)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    snapshots = json.loads(out.with_name("o.profile.json").read_text())["snapshots"]
    assert snapshots["rows"] == len(frame) and snapshots["leads"] == frame["lead_id"].nunique() < len(frame)
    assert snapshots["rows_per_lead_max"] == frame["lead_id"].value_counts().max()
    text = " ".join(result.output.split())
    assert f"{len(frame):,} rows of {frame['lead_id'].nunique():,} leads" in text
    if snapshots["rows_not_yet_known"]:
        assert f"{snapshots['rows_not_yet_known']:,} snapshot rows whose outcome is not yet known" in text


def test_leak_guard_keeps_a_lead_in_one_fold(engaged_crm):
    """A text unique to each lead says nothing about its outcome; with a lead's snapshot rows on both sides
    of the guard's folds it would look like a leak and stop the build."""
    folder, raw = engaged_crm
    leads = pd.read_csv(folder / "leads.csv")
    leads["reference"] = [f"R{v}" for v in np.random.default_rng(1).permutation(len(leads))]
    leads.to_csv(folder / "leads.csv", index=False)
    ts = build_training_set(DatasetSpec.model_validate(raw))
    assert {s.column: s.auc for s in ts.strengths}["reference"] < 0.6


def test_too_many_snapshot_rows_is_a_question_for_the_spec(tiny, write_spec, tmp_path, monkeypatch):
    import features.snapshots

    monkeypatch.setattr(features.snapshots, "MAX_ROWS", 10)
    out = tmp_path / "o.parquet"
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(tiny)), "--out", str(out), "--as-of", AS_OF])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output and not out.exists()
    assert "13 training rows, more than 10" in text and "'activities.prediction.max_age_days'" in text
