"""`leadscore init` reads values, not names (issue 23, point 1; issue 24, open outcomes): the outcome is
proposed from its values, ISO dates are dates (never phone numbers), the earliest date is created_at and
later ones are known after contact, clock times are numbers, and a call's length is named as a leak."""

import numpy as np
import pandas as pd
import pytest
import yaml
from honest_helpers import opportunities

from features.build import build_training_set
from features.errors import LeadscoreError
from features.spec import DatasetSpec


def _init(cli, tmp_path, frame, name="export.csv"):
    frame.to_csv(tmp_path / name, index=False)
    result, text = cli("init", "--from", tmp_path / name, "--out", tmp_path / "spec.yaml")
    assert result.exit_code == 0, result.output
    return (tmp_path / "spec.yaml").read_text(), yaml.safe_load((tmp_path / "spec.yaml").read_text()), text


def test_stage_outcome_with_open_values_and_iso_dates(cli, tmp_path):
    text, spec, _ = _init(cli, tmp_path, opportunities(600, seed=2, signal=1.0))
    assert spec["outcome"]["column"] == "deal_stage"
    assert spec["outcome"]["positive"] == ["Won"] and spec["outcome"]["negative"] == ["Lost"]
    assert set(spec["outcome"]["open"]) == {"Engaging", "Prospecting"}
    assert "open: " in text and "CHECK" in text.split("open: ")[1].splitlines()[0]
    assert spec["record"] == "opportunity"
    # ISO dates are dates, never personal data; the earliest filled is created_at, the later one after contact
    assert "engage_date" not in spec["features"]["pii"] and "close_date" not in spec["features"]["pii"]
    assert spec["leads"]["created_at"] == "engage_date"
    assert "close_date" in spec["features"]["known_after_contact"]
    assert "no date column found" not in text
    # the spec builds as written: open deals are left out, counted as not yet known
    ts = build_training_set(DatasetSpec.model_validate(spec))
    assert ts.label_report.still_open == int(opportunities(600, seed=2, signal=1.0)["deal_stage"].isin(
        ["Engaging", "Prospecting"]).sum())
    assert ts.profile()["labels"]["still_open"] == ts.label_report.still_open


@pytest.mark.parametrize(("column", "values", "expected"), [
    ("y", ["yes", "no"], ["yes"]), ("CarInsurance", [1, 0], ["1"]), ("结果", ["成交", "未成交"], ["成交"]),
    ("Outcome Flag", ["Converted", "Not Converted"], ["Converted"]), ("won", ["Y", "N"], ["Y"]),
])
def test_two_valued_outcome_from_values_in_any_language(cli, tmp_path, column, values, expected):
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"Id": range(n), "Age": rng.integers(18, 80, n),
                          "HHInsurance": rng.integers(0, 2, n), "default": rng.choice(["no", "yes"], n, p=[.97, .03]),
                          "Job": rng.choice(["admin.", "technician", "services"], n),
                          column: rng.choice(values, n)})
    _, spec, _ = _init(cli, tmp_path, frame)
    assert spec["outcome"]["column"] == column
    assert [str(v) for v in spec["outcome"]["positive"]] == expected


@pytest.mark.parametrize(("values", "won", "lost"), [
    # Salesforce lead status
    (["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"],
     ["Closed - Converted"], ["Closed - Not Converted"]),
    # Zoho lead status: several ways of losing, several of being open
    (["Contacted", "Junk Lead", "Lost Lead", "Not Contacted", "Pre-Qualified", "Not Qualified", "Converted"],
     ["Converted"], ["Junk Lead", "Lost Lead", "Not Qualified"]),
    (["open", "won", "lost", "deleted"], ["won"], ["lost"]),  # Pipedrive deal status
])
def test_crm_stage_vocabularies_are_read_and_the_rest_is_open(cli, tmp_path, values, won, lost):
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({"Lead ID": range(n), "Industry": rng.choice(["retail", "software"], n),
                          "Lead Status": rng.choice(values, n)})
    text, spec, _ = _init(cli, tmp_path, frame)
    assert spec["outcome"]["column"] == "Lead Status"
    assert spec["outcome"]["positive"] == won and sorted(spec["outcome"]["negative"]) == sorted(lost)
    assert sorted(spec["outcome"]["open"]) == sorted(set(values) - set(won) - set(lost))
    assert "CHECK" in text.split("open: ")[1].splitlines()[0]


def test_a_stage_with_wins_and_no_lost_value_asks_which_values_mean_lost(cli, tmp_path):
    """Odoo archives lost deals: an export of active ones holds Won and open stages only. Nothing is taken as
    lost without the reader saying so."""
    rng = np.random.default_rng(2)
    n = 300
    frame = pd.DataFrame({"ID": range(n), "Expected Revenue": rng.integers(100, 9000, n),
                          "Stage": rng.choice(["New", "Qualified", "Proposition", "Won"], n)})
    text, spec, _ = _init(cli, tmp_path, frame)
    assert spec["outcome"]["column"] == "Stage" and spec["outcome"]["positive"] == ["Won"]
    assert spec["outcome"]["negative"] == []
    assert "FILL IN: no value reads as lost" in text.split("negative: ")[1].splitlines()[0]
    assert sorted(spec["outcome"]["open"]) == ["New", "Proposition", "Qualified"]


def test_clock_times_are_seconds_and_the_call_length_is_a_named_leak(cli, tmp_path):
    rng = np.random.default_rng(1)
    n = 800
    start = rng.integers(9 * 3600, 17 * 3600, n)
    won = rng.random(n) < 0.4
    length = np.where(won, rng.gamma(4, 90, n), rng.gamma(2, 60, n)).astype(int)
    clock = lambda s: pd.Series(s).map(lambda v: f"{v // 3600:02d}:{v % 3600 // 60:02d}:{v % 60:02d}")  # noqa: E731
    frame = pd.DataFrame({"Id": range(1, n + 1), "Age": rng.integers(18, 80, n),
                          "Job": rng.choice(["admin.", "technician", "services"], n),
                          "CallStart": clock(start), "CallEnd": clock(start + length), "CarInsurance": won.astype(int)})
    text, spec, said = _init(cli, tmp_path, frame)
    assert spec["outcome"]["column"] == "CarInsurance"
    assert "CallStart" not in spec["features"]["pii"] and "CallEnd" not in spec["features"]["pii"]
    assert "CallEnd − CallStart: 0." in text and "derived leak: CallEnd − CallStart" in said
    # the build reads the clock times as seconds and its guard names the difference
    spec["leads"]["path"] = str(tmp_path / "export.csv")
    ts = build_training_set(DatasetSpec.model_validate(spec))
    safe = {original: name for name, original in ts.feature_names.items()}["CallStart"]
    assert ts.profile()["columns"][safe]["type"] == "numeric"
    assert ts.frame[safe].iloc[0] == start[0]
    assert any(w["column"] == "CallEnd − CallStart" for w in ts.leak_warnings)
    assert any("CallEnd − CallStart" in w for w in ts.warnings())


def test_undeclared_stage_lists_every_value_and_offers_both_keys(tmp_path):
    frame = opportunities(300, seed=4)
    frame.to_csv(tmp_path / "deals.csv", index=False)
    spec = DatasetSpec.model_validate({"name": "d", "leads": {"path": str(tmp_path / "deals.csv"),
                                                              "id": "opportunity_id"},
                                       "outcome": {"column": "deal_stage", "positive": ["Won"], "negative": ["Lost"],
                                                   "open": ["Engaging"]}})
    with pytest.raises(LeadscoreError) as caught:
        build_training_set(spec)
    message = str(caught.value)
    assert "'Prospecting'" in message and "'Engaging'" not in message.split("undeclared values:")[1]
    assert "'outcome.negative'" in message and "'outcome.open'" in message
    assert "count" not in message.lower() and "as lost" not in message.lower()


def test_dates_are_never_refused_as_phone_numbers(tmp_path):
    frame = opportunities(300, seed=5, signal=1.0)
    frame = frame[frame["deal_stage"].isin(["Won", "Lost"])]
    frame.to_csv(tmp_path / "deals.csv", index=False)
    spec = DatasetSpec.model_validate({"name": "d", "leads": {"path": str(tmp_path / "deals.csv"),
                                                              "id": "opportunity_id"},
                                       "outcome": {"column": "deal_stage", "positive": ["Won"], "negative": ["Lost"]},
                                       "features": {"exclude": ["close_value", "close_date"]}})
    ts = build_training_set(spec)  # engage_date stays a column: 2016-10-20 is a date, not a phone number
    assert "engage_date" in ts.feature_names
