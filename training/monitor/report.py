"""The monitoring report: HTML in English and Chinese, logged to MLflow, and kept in the database
(table `monitor_reports`) where the service reads the latest one for the managers' page."""

from __future__ import annotations

import html
import json
import math
from datetime import UTC, datetime

import sqlalchemy as sa

from training.loop.store import create_tables, monitor_reports, open_engine
from training.monitor.compute import MonitorResult
from training.report.texts import MONITOR_TITLES


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3f}"
    return html.escape(str(value))


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>-</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row.values()) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_sections(result: MonitorResult, lang: str) -> str:
    """The report's body: also the managers' page section."""
    t, s = MONITOR_TITLES[lang], result.sections
    drift = s["drift"]
    speed = s["speed_to_lead"]
    parts = [f"<h3>{t['breaches']}</h3>",
             "<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in result.breaches) + "</ul>"
             if result.breaches else f"<p>{t['none']}</p>",
             f"<h3>{t['calibration']}</h3>", _table(s["calibration"]),
             f"<h3>{t['auc']}</h3>", _table([s["auc"]]),
             f"<h3>{t['drift']}</h3>",
             _table([{"feature": k, "psi": v} for k, v in sorted(drift["psi"].items(), key=lambda kv: -kv[1])]),
             _table([{"band": b, **v} for b, v in drift["band_mix"].items()]),
             _table([{"rules_share": drift["rules_share"]}]),
             f"<h3>{t['speed']}</h3>", _table(speed.get("table", []))]
    if "lost_conversions" in speed:
        lost = t["lost"].format(h=speed["fast_hours"], slow=speed["slow_rate"], fast=speed["fast_rate"],
                                lost=speed["lost_conversions"])
        parts.append(f"<p>{lost}</p>")
    parts += _late_section(s.get("late_hot_leads"), t) + _questions_section(s.get("questions"), t)
    failures = "-" if s["write_failures"] is None else s["write_failures"]
    parts += [f"<h3>{t['sources']}</h3>", _table(s["source_quality"]),
              f"<h3>{t['failures']}</h3>", f"<p>{_cell(failures)}</p>"]
    return "\n".join(parts)


def _headed(columns: tuple[str, ...], rows: list[tuple]) -> str:
    """A table whose headings are sentences of the report's language (not the figures' keys)."""
    return _table([dict(zip(columns, row, strict=True)) for row in rows])


def _rate(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def _late_section(late: dict | None, t: dict) -> list[str]:
    """Hot leads first answered after the hot band's deadline, and the expected conversions that cost."""
    if late is None:  # a report stored before the section existed
        return []
    parts = [f"<h3>{t['late']}</h3>"]
    if late["deadline_hours"] is None:
        return [*parts, f"<p>{t['late_no_deadline']}</p>"]
    if not late["late"]:
        return [*parts, f"<p>{t['late_none'].format(h=late['deadline_hours'])}</p>"]
    parts.append(f"<p>{t['late_count'].format(late=late['late'], h=late['deadline_hours'])}</p>")
    if late["lost_conversions"] is not None:
        cost = t["late_cost"].format(late_rate=late["late_rate"], on_time=late["on_time_rate"],
                                     lost=late["lost_conversions"])
        parts.append(f"<p>{cost}</p>")
    rows = [(r["lead_id"], f"{r['first_response_hours']:g}", t["yes"] if r["won"] else t["no"])
            for r in late["leads"]]
    return [*parts, _headed(t["late_columns"], rows)]


def _questions_section(questions: dict | None, t: dict) -> list[str]:
    """Per asked field: did the leads whose question was answered later convert differently."""
    if questions is None:  # no question was ever offered (or a report from before questions)
        return []
    if not questions["fields"]:
        return [f"<h3>{t['questions']}</h3>", f"<p>{t['questions_none']}</p>"]
    rows = [(r["field"], f"{r['offered']:,}", f"{r['answered']:,}", f"{r['matured_answered']:,}",
             _rate(r["conversion_answered"]), f"{r['matured_unanswered']:,}", _rate(r["conversion_unanswered"]))
            for r in questions["fields"]]
    return [f"<h3>{t['questions']}</h3>", _headed(t["questions_columns"], rows)]


def render_html(result: MonitorResult, lang: str = "en") -> str:
    return (f"<!doctype html><html lang='{lang}'><meta charset='utf-8'><title>{MONITOR_TITLES[lang]['title']}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
            "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style>"
            f"<h1>{MONITOR_TITLES[lang]['title']}: {html.escape(result.model_name or '')}</h1>"
            f"<p>{result.rows:,} / {result.matured:,}</p>{render_sections(result, lang)}</html>")


def to_json(result: MonitorResult) -> str:
    return json.dumps({"model_name": result.model_name, "rows": result.rows, "matured": result.matured,
                       "sections": result.sections, "breaches": result.breaches}, default=float, allow_nan=True)


def store(db_url: str, result: MonitorResult) -> None:
    """Keep the figures beside the log, for the service's page."""
    engine = open_engine(db_url)
    try:
        create_tables(engine, monitor_reports)
        with engine.begin() as connection:
            connection.execute(monitor_reports.insert().values(
                created_at=datetime.now(UTC), model_name=result.model_name, breaches=len(result.breaches),
                report=to_json(result)))
    finally:
        engine.dispose()


def latest_report(db_url: str, model_name: str | None) -> MonitorResult | None:
    """The newest stored report for a model (None when monitoring never ran)."""
    engine = open_engine(db_url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("monitor_reports"):
                return None
            query = sa.select(monitor_reports.c.report).order_by(monitor_reports.c.id.desc()).limit(1)
            if model_name:
                query = query.where(monitor_reports.c.model_name == model_name)
            text = connection.scalar(query)
    finally:
        engine.dispose()
    if text is None:
        return None
    data = json.loads(text)
    return MonitorResult(model_name=data["model_name"], rows=data["rows"], matured=data["matured"],
                         sections=data["sections"], breaches=data["breaches"])


def log_to_mlflow(result: MonitorResult) -> str:
    """One MLflow run per monitoring pass: headline metrics and both HTML reports; returns the run id."""
    import tempfile
    from pathlib import Path

    import mlflow

    from training.registry.tracking import experiment_id, recording_to

    with recording_to() as uri, mlflow.start_run(
            experiment_id=experiment_id(f"leadscore-monitor-{result.model_name or 'unknown'}", uri)) as run, \
            tempfile.TemporaryDirectory(prefix="monitor-") as tmp:
        auc, drift = result.sections["auc"], result.sections["drift"]
        values = {"rows": result.rows, "matured": result.matured, "breaches": len(result.breaches),
                  "roc_auc_model": auc["model"], "roc_auc_rules": auc["rules"], "rules_share": drift["rules_share"],
                  **{f"psi.{k}": v for k, v in drift["psi"].items()}}
        mlflow.log_metrics({k.replace(" ", "_"): float(v) for k, v in values.items()
                            if v is not None and math.isfinite(float(v))})
        for lang, name in (("en", "monitor.html"), ("zh", "monitor.zh.html")):
            (Path(tmp) / name).write_text(render_html(result, lang), encoding="utf-8")
            mlflow.log_artifact(str(Path(tmp) / name))
        (Path(tmp) / "monitor.json").write_text(to_json(result), encoding="utf-8")
        mlflow.log_artifact(str(Path(tmp) / "monitor.json"))
    return run.info.run_id
