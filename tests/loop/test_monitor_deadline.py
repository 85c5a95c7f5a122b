"""`monitor`'s hot deadline comes from where the service reads `follow_up_by`'s: the service config's hot
action, else the model's."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.loop.test_questions_log import META, T0, frames, row
from training.monitor.compute import Thresholds, hot_deadline, monitor
from training.scoring.answer import default_actions


def with_actions(actions, record: str = "lead"):
    return META.model_copy(update={"actions": actions, "record": record})


def late_section(meta, limits: Thresholds) -> dict:
    rows = [{**row(f"H{i}", T0, "high", f"h{i}"), "band": "hot"} for i in range(4)]
    log, found = frames(rows, {"H0": True, "H1": False, "H2": False, "H3": True})
    found["first_response_hours"] = [0.5, 1.5, 3.0, 30.0]
    return monitor(log, found, meta, limits).sections["late_hot_leads"]


def test_the_deadline_is_the_models_hot_action():
    actions = default_actions("lead")
    actions["hot"]["within_hours"] = 2.0
    late = late_section(with_actions(actions), Thresholds(min_leads=1))
    assert late["deadline_hours"] == 2.0
    assert sorted(r["lead_id"] for r in late["leads"]) == ["H2", "H3"]  # 1.5 h is on time against 2 h


def test_without_recorded_actions_the_records_defaults_apply():
    assert hot_deadline(with_actions(None), Thresholds()) == default_actions("lead")["hot"]["within_hours"]
    assert hot_deadline(with_actions(None, "opportunity"), Thresholds()) == \
        default_actions("opportunity")["hot"]["within_hours"]


def test_the_thresholds_file_overrides_the_deadline():
    actions = default_actions("lead")
    actions["hot"]["within_hours"] = 2.0
    late = late_section(with_actions(actions), Thresholds(min_leads=1, hot_deadline_hours=0.25))
    assert late["deadline_hours"] == 0.25 and late["late"] == 4


def test_the_service_configs_actions_come_before_the_models_and_the_thresholds_file_before_both():
    configured = default_actions("lead")
    configured["hot"]["within_hours"] = 2.0
    assert hot_deadline(with_actions(None), Thresholds(), configured) == 2.0
    assert hot_deadline(with_actions(None), Thresholds(hot_deadline_hours=0.25), configured) == 0.25
    assert hot_deadline(with_actions(None), Thresholds(), {}) is None  # a config with no actions: no deadline


def test_a_hot_action_without_a_deadline_lists_no_late_leads():
    actions = default_actions("lead")
    actions["hot"]["within_hours"] = None
    late = late_section(with_actions(actions), Thresholds(min_leads=1))
    assert late["deadline_hours"] is None and late["late"] == 0 and late["leads"] == []


def test_the_shipped_thresholds_file_leaves_the_deadline_to_the_model():
    from training.monitor.compute import load_thresholds

    assert load_thresholds(None).hot_deadline_hours is None
    with pytest.raises(ValidationError):
        Thresholds(hot_deadline_hours=0)
