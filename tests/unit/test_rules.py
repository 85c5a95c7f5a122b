from pathlib import Path

import pandas as pd
import pytest

from features.errors import LeadscoreError
from training.rules.table import RuleTable, load_rules

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "specs" / "rules" / "default.yaml"


def test_default_table_scores_by_hand():
    table = load_rules(DEFAULT)
    score, reasons = table.score_record({"need": "High", "purchase_timeline": "this quarter", "budget": "low",
                                         "decision_authority": "unknown"})
    assert score == 30 + 20 + 10 + 0
    assert [r["points"] for r in reasons] == [30, 20, 10]
    assert reasons[0]["text"] == "Need is High"
    _, zh = table.score_record({"Need": "high"}, lang="zh")  # original-style names match too
    assert zh[0]["text"] == "需求程度：high"
    assert table.score_record({})[0] == 0


def test_vectorised_scores_match_record_scores():
    table = load_rules(DEFAULT)
    frame = pd.DataFrame({"need": ["high", None, "low"], "budget": ["medium", "high", None],
                          "decision_authority": ["yes", "no", "yes"], "purchase_timeline": ["now", None, "later"]})
    expected = [table.score_record(row)[0] for row in frame.to_dict(orient="records")]
    assert table.points_frame(frame).tolist() == expected == [95.0, 30.0, 40.0]


def test_vectorised_ranges_match_record_scores_with_missing_and_mixed_case():
    table = RuleTable.model_validate({"max_score": 100, "rules": [
        {"field": "visits", "ranges": [{"min": 0, "max": 5, "points": 10}, {"min": 5, "points": 80}]},
        {"field": "Budget", "points": {"high": 15, "low": 5}},
    ]})
    frame = pd.DataFrame({"visits": pd.array([3, None, 5, -1, 12, 3], dtype="Float64"),
                          "budget": pd.array(["HIGH ", "low", None, "high", "n/a", "High"], dtype="string")})
    expected = [table.score_record(row)[0] for row in frame.astype(object).to_dict(orient="records")]
    assert table.points_frame(frame).tolist() == expected == [25.0, 5.0, 80.0, 15.0, 80.0, 25.0]


def test_ranges_and_cap():
    table = RuleTable.model_validate({"max_score": 100, "rules": [
        {"field": "visits", "ranges": [{"min": 0, "max": 5, "points": 10}, {"min": 5, "points": 80}]},
        {"field": "budget", "points": {"high": 50}},
    ]})
    assert table.score_record({"visits": 3})[0] == 10
    assert table.score_record({"visits": 7, "budget": "high"})[0] == 100  # 130 capped


def test_bad_table_is_named(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - field: need\n")
    with pytest.raises(LeadscoreError, match="rules.yaml: invalid rule table"):
        load_rules(path)


def test_unquoted_yes_and_no_in_a_rule_table_match_as_text(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - field: decision_authority\n    points: {yes: 20, no: 10}\n", encoding="utf-8")
    table = load_rules(path)
    assert table.score_record({"decision_authority": "yes"})[0] == 20
    assert table.score_record({"decision_authority": "No"})[0] == 10
