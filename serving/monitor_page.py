"""The managers' page section "How the scores held up": the latest `leadscore monitor` figures,
read from the database where monitor stores them (table monitor_reports). Read at each page view,
so a new monitoring run shows without reloading the model; nothing when monitoring never ran. The
page (training/report/page.py) places it under its summary."""

from __future__ import annotations

import logging

from training import MONITOR_TITLES, latest_report, render_sections

log = logging.getLogger(__name__)


def monitor_section(db_url: str, model_name: str | None, lang: str) -> str:
    try:
        result = latest_report(db_url, model_name)
    except Exception as exc:  # the page still shows; the section says nothing rather than failing it
        log.warning("monitoring figures unavailable: %s", type(exc).__name__)
        return ""
    if result is None:
        return ""
    t = MONITOR_TITLES.get(lang, MONITOR_TITLES["en"])
    return f'<section id="held-up"><h2>{t["title"]}</h2>{render_sections(result, lang)}</section>'

