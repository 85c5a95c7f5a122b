"""Point-in-time labels from an outcomes table, checked on a hand-made export."""

import pandas as pd
import pytest

from features.build import build_training_set
from features.spec import DatasetSpec

LEADS = pd.DataFrame({
    "id": ["a", "b", "c", "d", "e", "f"],
    "created": ["2026-01-01", "2026-01-01", "2026-01-10", "2026-03-01", "2026-03-20", "2026-01-05"],
    "channel": ["web", "web", "ads", "ads", "web", "ads"],
})
DEALS = pd.DataFrame({
    "lead": ["a", "b", "d", "zz", "e", "f"],
    "won": ["2026-01-20",   # a: won within 30 days -> 1
            "2026-03-01",   # b: won after the horizon -> 0
            "2026-03-05",   # d: won early, but d's horizon has not closed -> left out
            "2026-02-01",   # zz: matches no lead -> reported
            "2026-04-10",   # e: horizon open at snapshot -> left out
            "2026-04-20"],  # f: after the 03-15 snapshot -> ignored; in any case after its horizon
})


def build(tmp_path, as_of=None):
    LEADS.to_csv(tmp_path / "leads.csv", index=False)
    DEALS.to_csv(tmp_path / "deals.csv", index=False)
    spec = DatasetSpec.model_validate({
        "name": "t",
        "leads": {"path": str(tmp_path / "leads.csv"), "id": "id", "created_at": "created"},
        "outcome": {"path": str(tmp_path / "deals.csv"), "id": "lead", "won_at": "won", "horizon_days": 30},
    })
    return build_training_set(spec, as_of=as_of, check_leakage=False)


def test_point_in_time_labels(tmp_path):
    ts = build(tmp_path, as_of="2026-03-15")
    labels = dict(zip(ts.frame["lead_id"], ts.frame["label"], strict=True))
    # d (created 03-01) and e (03-20, after snapshot) have open horizons on 03-15
    assert labels == {"a": 1, "b": 0, "c": 0, "f": 0}
    assert ts.label_report.not_yet_known == 2
    assert ts.label_report.unmatched_outcomes == 1 and ts.label_report.unmatched_examples == ["zz"]
    assert ts.label_report.wins_after_snapshot == 2  # e (04-10) and f (04-20) were not known on 03-15
    assert ts.label_report.snapshot.startswith("2026-03-15")


def test_snapshot_defaults_to_latest_date_in_data(tmp_path):
    ts = build(tmp_path)
    labels = dict(zip(ts.frame["lead_id"], ts.frame["label"], strict=True))
    # snapshot 2026-04-20 (the latest win): every horizon has closed; d and e were won in time,
    # f was won on day 105, after its 30-day horizon
    assert labels == {"a": 1, "b": 0, "c": 0, "d": 1, "e": 1, "f": 0}
    assert ts.label_report.not_yet_known == 0


def test_outcome_column_values_must_be_declared(tmp_path):
    frame = LEADS.assign(status=["won", "lost", "won", "open", "lost", "won"])
    frame.to_csv(tmp_path / "leads.csv", index=False)
    spec = DatasetSpec.model_validate({
        "name": "t", "leads": {"path": str(tmp_path / "leads.csv"), "id": "id"},
        "outcome": {"column": "status", "positive": ["won"], "negative": ["lost"]},
    })
    from features.errors import LeadscoreError

    with pytest.raises(LeadscoreError, match=r"'open' at data row 4 \(lead id 'd'\)"):
        build_training_set(spec, check_leakage=False)
