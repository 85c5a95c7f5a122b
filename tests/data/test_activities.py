"""Activities: engagement features point-in-time, one implementation for tables and requests, the
after-the-win leak, and bad activity tables."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.activities import engagement_columns, features_for_records, features_for_table
from features.build import build_training_set
from features.context import LeadContext, LeadsAt
from features.errors import LeadscoreError
from features.leakage import check_leaks, column_strengths
from features.spec import DatasetSpec
from serving.cli.main import app

AS_OF = pd.Timestamp("2026-03-31 12:00")


def events_of(rows):
    return pd.DataFrame(rows, columns=["lead", "at", "type", "channel"]).astype({"at": "datetime64[ns]"})


def test_features_at_the_prediction_time_by_hand():
    events = events_of([
        ("a", AS_OF - pd.Timedelta(days=2), "pricing page", "web"),
        ("a", AS_OF - pd.Timedelta(days=5), "pricing page", "web"),
        ("a", AS_OF - pd.Timedelta(days=20), "email open", "email"),
        ("a", AS_OF + pd.Timedelta(days=1), "pricing page", "phone"),  # after the prediction time: never counted
        ("b", AS_OF - pd.Timedelta(days=45), "email open", "email"),
    ])
    columns = engagement_columns(["pricing page", "email open"], [7, 30], grouped=False, channel=True)
    out = features_for_table(pd.Series(["a", "b", "c"]), np.full(3, AS_OF.to_datetime64()), events, columns,
                             ["pricing page", "email open"], half_life_days=10.0)
    a, b, c = out.iloc[0], out.iloc[1], out.iloc[2]
    assert a["pricing page in the last 7 days"] == 2 and a["email open in the last 7 days"] == 0
    assert a["email open in the last 30 days"] == 1 and b["email open in the last 30 days"] == 0
    assert a["days since last activity"] == 2 and b["days since last activity"] == 45
    assert a["days since last email open"] == 20 and np.isnan(b["days since last pricing page"])
    assert a["activity types"] == 2 and b["activity types"] == 1 and c["activity types"] == 0
    assert a["engagement score"] == pytest.approx(0.5 ** 0.2 + 0.5 ** 0.5 + 0.5 ** 2, abs=1e-4)
    assert a["first touch channel"] == "email" and a["last touch channel"] == "web"
    assert np.isnan(c["days since last activity"]) and pd.isna(c["last touch channel"])


def test_table_and_request_paths_give_the_same_row():
    rng = np.random.default_rng(5)
    types = ["pricing page", "email open", "webinar"]
    rows = [(f"l{rng.integers(4)}", AS_OF - pd.Timedelta(hours=float(rng.uniform(-100, 3000))),
             str(rng.choice(types + ["rare thing"])), str(rng.choice(["web", "email"]))) for _ in range(80)]
    events = events_of(rows)
    columns = engagement_columns(types, [7, 30, 90], grouped=True, channel=True)
    ids = pd.Series([f"l{i}" for i in range(4)])
    table = features_for_table(ids, np.full(4, AS_OF.to_datetime64()), events, columns, types, 14.0)
    sent = [[{"at": r[1].isoformat() + "Z", "type": r[2], "channel": r[3]} for r in rows if r[0] == lead]
            for lead in ids]
    records = features_for_records(sent, [AS_OF.value] * 4, columns, types, 14.0)
    for i, record in enumerate(records):
        for name, value in record.items():
            expected = table.iloc[i][name]
            assert (value is None and pd.isna(expected)) or value == expected, (i, name, value, expected)


@pytest.fixture
def crm_with_activities(tmp_path):
    """Leads whose engagement drives conversion, plus a 'contract sent' that happens only after a win."""
    rng = np.random.default_rng(11)
    n = 500
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    intent = rng.normal(size=n)
    won = rng.random(n) < 1 / (1 + np.exp(-(1.5 * intent - 1.2)))
    won_at = created + pd.to_timedelta(rng.uniform(1, 60, n), unit="D")
    rows = []
    for i in range(n):
        for _ in range(rng.poisson(np.exp(0.4 + 0.8 * intent[i]))):
            rows.append((f"L{i}", created[i] - pd.Timedelta(hours=float(rng.uniform(0, 200))),
                         str(rng.choice(["pricing page", "email open"])), "web"))
        if won[i]:
            rows.append((f"L{i}", won_at[i] + pd.Timedelta(hours=3), "contract sent", "email"))
    pd.DataFrame({"id": [f"L{i}" for i in range(n)], "created": created,
                  "x": rng.normal(size=n)}).to_csv(tmp_path / "leads.csv", index=False)
    pd.DataFrame({"id": [f"L{i}" for i in np.flatnonzero(won)], "won_at": won_at[won]}).to_csv(
        tmp_path / "wins.csv", index=False)
    pd.DataFrame(rows, columns=["lead", "at", "kind", "channel"]).to_csv(tmp_path / "acts.csv", index=False)
    raw = {"name": "acts", "leads": {"path": str(tmp_path / "leads.csv"), "id": "id", "created_at": "created"},
           "outcome": {"path": str(tmp_path / "wins.csv"), "id": "id", "won_at": "won_at", "horizon_days": 90},
           "activities": {"path": str(tmp_path / "acts.csv"), "lead_id": "lead", "at": "at", "type": "kind",
                          "channel": "channel", "min_type_count": 1, "prediction": {"age_days": 0}},
           "evaluation": {"folds": 3}}
    return tmp_path, raw


def test_after_the_win_activity_moves_nothing_point_in_time(crm_with_activities):
    """The training set is the same with and without the 'contract sent' events: none is known at any
    kept lead's prediction time (leads won by then are left out, not scored)."""
    folder, raw = crm_with_activities
    spec = DatasetSpec.model_validate(raw)
    with_contracts = build_training_set(spec)
    acts = pd.read_csv(folder / "acts.csv")
    acts[acts["kind"] != "contract sent"].to_csv(folder / "acts.csv", index=False)
    without = build_training_set(spec)
    pd.testing.assert_frame_equal(with_contracts.frame, without.frame)
    assert not [c for c in with_contracts.feature_names if "contract" in c]
    strengths = {s.column: s.auc for s in with_contracts.strengths}
    assert strengths["engagement_score"] > 0.6  # the honest engagement signal is there


def test_leak_guard_names_the_activity_feature_when_time_is_ignored(crm_with_activities):
    """Counted as of the export instead of each lead's prediction time, 'contract sent' leaks the outcome,
    and the leak guard names it as it names a column."""
    _, raw = crm_with_activities
    spec = DatasetSpec.model_validate(raw)
    ts = build_training_set(spec, check_leakage=False)
    leads = pd.read_csv(raw["leads"]["path"]).set_index("id").loc[ts.frame["lead_id"]].reset_index()
    events, _ = ts.relation.context.read_events(raw["activities"]["path"])
    at_export = LeadsAt(leads, events, pd.Timestamp("2027-01-01"), "id")
    late = LeadContext(windows=[7, 30, 90], min_type_count=1).fit(at_export).engagement(at_export)
    y = ts.frame["label"].to_numpy()
    strengths = column_strengths(late, y, 3, 0)
    with pytest.raises(LeadscoreError, match="'days since last contract sent' \\(ROC-AUC 1.000\\)"):
        check_leaks(strengths, 0.9, set(), {})


def test_events_in_the_future_duplicates_and_unknown_leads_are_counted(crm_with_activities):
    folder, raw = crm_with_activities
    acts = pd.read_csv(folder / "acts.csv")
    extra = pd.DataFrame([("L1", "2099-01-01T00:00:00", "email open", "web"),
                          ("NOPE", "2025-02-01T00:00:00", "email open", "web")], columns=acts.columns)
    pd.concat([acts, acts.iloc[[0, 1]], extra]).to_csv(folder / "acts.csv", index=False)
    ts = build_training_set(DatasetSpec.model_validate(raw), check_leakage=False)
    report = ts.relation.activities
    assert (report.future, report.duplicates, report.unknown_leads) == (1, 2, 1)
    assert report.unknown_examples == ["NOPE"] and "L1" in report.future_examples[0]
    warnings = " ".join(ts.warnings())
    assert "dated in the future" in warnings and "repeat another" in warnings
    assert ts.profile()["activities"]["duplicates"] == 2


def test_times_with_and_without_a_zone_are_a_question(crm_with_activities, write_spec, tmp_path):
    folder, raw = crm_with_activities
    acts = pd.read_csv(folder / "acts.csv")
    acts["at"] = acts["at"].astype(str)
    acts.loc[3, "at"] = "2025-03-01T10:00:00+08:00"
    acts.to_csv(folder / "acts.csv", index=False)
    out = tmp_path / "o.parquet"
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(raw)), "--out", str(out)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output and not out.exists()
    assert "column 'at'" in text and "data row 4" in text and "activities.timezone" in text
    raw["activities"]["timezone"] = "UTC"
    ts = build_training_set(DatasetSpec.model_validate(raw), check_leakage=False)
    assert ts.relation.activities.used > 0


def test_missing_activity_column_is_exit_2(crm_with_activities, write_spec, tmp_path):
    _, raw = crm_with_activities
    raw["activities"]["type"] = "activity_type"
    result = CliRunner().invoke(app, ["build", "--spec", str(write_spec(raw)), "--out", str(tmp_path / "o.parquet")])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'activity_type'" in text and "acts.csv" in text


def test_context_fits_types_from_known_events_only():
    """A type seen only after every prediction time is no feature of its own (nothing could learn it)."""
    frame = pd.DataFrame({"id": ["a", "b"]})
    events = events_of([("a", AS_OF - pd.Timedelta(days=1), "call", None),
                        ("b", AS_OF + pd.Timedelta(days=1), "contract sent", None)])
    context = LeadContext(windows=[7], min_type_count=1).fit(LeadsAt(frame, events, AS_OF, "id"))
    assert context.types_ == ["call"]
