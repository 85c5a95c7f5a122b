"""monitor's HTML report carries what its text and JSON carry: the hot leads answered after their deadline
(with the expected conversions lost) and whether the leads whose questions were answered later converted
differently, in English and Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.loop.test_questions_log import ASKED, META, T0, frames, row
from training.monitor.compute import Thresholds, monitor
from training.monitor.questions import read_offered
from training.monitor.report import render_html
from training.report.texts import MONITOR_TITLES


@pytest.fixture
def result(tmp_path):
    from training.loop.store import write_predictions

    day = timedelta(days=1)
    hot = [{**row(f"H{i}", T0, "high", f"h{i}"), "band": "hot"} for i in range(5)]
    asked = [row("A", T0, "unknown", "a1", ASKED), row("A", T0 + day, "high", "a2"),  # answered later
             row("B", T0, None, "b1", ASKED), row("C", T0, None, "c1", ASKED)]  # never answered
    url = f"sqlite:///{tmp_path}/log.db"
    write_predictions(url, hot + asked)
    log, found = frames(hot + asked, {"H0": True, "H1": True, "H2": False, "H3": False, "H4": True,
                                      "A": True, "B": False, "C": False})
    found["first_response_hours"] = [0.5, 0.2, 3.0, 30.0, 2.5, float("nan"), float("nan"), float("nan")]
    return monitor(log, found, META, Thresholds(min_leads=1), offered=read_offered(url))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_html_report_lists_late_hot_leads_and_their_cost(result, lang):
    late = result.sections["late_hot_leads"]
    assert late["deadline_hours"] == 1 and late["late"] == 3  # the default lead actions: hot within 1 hour
    page, t = render_html(result, lang), MONITOR_TITLES[lang]
    assert t["late"] in page
    assert t["late_count"].format(late=3, h=1) in page
    # on time 2 of 2 converted, late 1 of 3: 3 x 1.0 - 1 = 2 expected conversions lost
    assert t["late_cost"].format(late_rate=1 / 3, on_time=1.0, lost=2.0) in page
    section = page.split(t["late"])[1]
    for lead, hours in (("H2", "3"), ("H3", "30"), ("H4", "2.5")):
        assert f"<td>{lead}</td><td>{hours}</td>" in section
    assert "<td>H0</td>" not in section


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_html_report_compares_answered_and_unanswered_questions(result, lang):
    page, t = render_html(result, lang), MONITOR_TITLES[lang]
    assert t["questions"] in page
    section = page.split(t["questions"])[1]
    assert all(f"<th>{c}</th>" in section for c in t["questions_columns"])
    # budget asked of A, B, C; A answered later and converted; B and C did not answer and did not convert
    assert "<td>budget</td><td>3</td><td>1</td><td>1</td><td>100.0%</td><td>2</td><td>0.0%</td>" in section


def test_the_sections_say_when_there_is_nothing_to_list():
    rows = [{**row("H0", T0, "high", "h0"), "band": "hot"}]
    log, found = frames(rows, {"H0": True})
    found["first_response_hours"] = [0.5]
    result = monitor(log, found, META, Thresholds(min_leads=1))
    for lang in ("en", "zh"):
        page, t = render_html(result, lang), MONITOR_TITLES[lang]
        assert t["late_none"].format(h=1) in page
        assert t["questions"] not in page  # no question was ever offered: no section
    no_deadline = META.model_copy(update={"actions": {"hot": {"channel": "call", "within_hours": None,
                                                              "en": "Call", "zh": "电话"}}})
    result = monitor(log, found, no_deadline, Thresholds(min_leads=1))
    assert MONITOR_TITLES["en"]["late_no_deadline"] in render_html(result, "en")
