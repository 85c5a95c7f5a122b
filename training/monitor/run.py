"""`leadscore monitor` as one call: read the prediction log and outcomes, load the metadata of the
model that answered, compute the report (training/monitor/compute.py), store it beside the log, log it to
MLflow and optionally write it as HTML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.errors import LeadscoreError
from features.messages import Line, Rows, Say, say_nothing
from training.loop.service_client import read_write_failures
from training.monitor.compute import MonitorResult, load_thresholds, monitor, read_log


@dataclass
class MonitorRun:
    result: MonitorResult
    run_id: str


def monitor_inputs(url: str, since: str | None, model: str | None) -> tuple[pd.DataFrame, pd.DataFrame, dict, str]:
    """Log, outcomes, the metadata of the model that answered (its latest logged version), its name."""
    from training.registry.tracking import load_model

    log, found = read_log(url, since, model)
    names = sorted(log["model_name"].dropna().unique())
    if model is None and len(names) != 1:
        raise LeadscoreError(f"the log holds {len(names)} model names ({', '.join(names) or 'none'}); "
                             "choose one with --model NAME")
    name = model or names[0]
    versions = log.loc[log["model_name"] == name].sort_values("logged_at")["model_version"].dropna()
    uri = f"models:/{name}/{versions.iloc[-1]}" if len(versions) else f"models:/{name}@champion"
    return log, found, load_model(uri).metadata, name


def monitor_once(db_url: str, since: str | None = None, model: str | None = None,
                   thresholds: Path | None = None, service: str | None = None,
                   html: Path | None = None, actions: Mapping[str, Mapping] | None = None) -> MonitorRun:
    """Compute, store, track (and write as HTML) one monitoring report. `actions`: those of the service's
    config file, when it sets them (serving/config.py)."""
    from training.monitor.report import log_to_mlflow, render_html, store

    limits = load_thresholds(thresholds)
    log, found, meta, name = monitor_inputs(db_url, since, model)
    from training.monitor.questions import read_offered

    failures = read_write_failures(service) if service else None
    result = monitor(log, found, meta, limits, failures, name, offered=read_offered(db_url), actions=actions)
    store(db_url, result)
    run_id = log_to_mlflow(result)
    if html:
        html.write_text(render_html(result), encoding="utf-8")
    return MonitorRun(result=result, run_id=run_id)


def run_monitor(db: str | None, since: str | None = None, model: str | None = None,
                       thresholds: Path | None = None, service: str | None = None, html: Path | None = None,
                       say: Say = say_nothing, actions: Mapping[str, Mapping] | None = None) -> int:
    """`leadscore monitor`: one report, said section by section; the exit code (1 when a threshold was
    breached, so a scheduler can alert)."""
    from training.loop.store import database_url

    done = monitor_once(database_url(db), since, model, thresholds, service, html, actions)
    for line in monitor_lines(done.result):
        say(line)
    say(Line(f"report logged to MLflow run {done.run_id}"))
    if done.result.breaches:
        say(Line(f"[bold red]{len(done.result.breaches)} threshold(s) breached[/]"))
        return 1
    return 0


def monitor_lines(result: MonitorResult) -> list[Line]:
    """Calibration per band and month, ROC-AUC, drift, speed to lead, source quality, write failures, breaches."""
    s = result.sections
    lines = [Line(f"[bold]{result.model_name}[/]: {result.rows:,} logged answers, "
                  f"{result.matured:,} leads with outcomes")]
    table = Rows("calibration: realised vs predicted conversion per band",
                 ("month", "band", "leads", "predicted", "realised"), ("leads", "predicted", "realised"))
    for row in s["calibration"]:
        table.add(row["month"], row["band"], f"{row['leads']:,}", f"{row['predicted']:.1%}",
                      f"{row['realised']:.1%}")
    lines.append(Line(table))
    lines.append(Line(f"ROC-AUC on matured leads: model {s['auc']['model']:.3f}, rule score {s['auc']['rules']:.3f}"))
    drift = s["drift"]
    top = sorted(drift["psi"].items(), key=lambda kv: -kv[1])[:8]
    lines.append(Line("PSI (highest): " + ", ".join(f"{k} {v:.3f}" for k, v in top)))
    lines.append(Line("band mix served/training: " + ", ".join(
        f"{b} {v['served']:.1%}/{v['training']:.1%}" for b, v in drift["band_mix"].items())
        + f"; rules answered {drift['rules_share']:.1%}"))
    speed = s["speed_to_lead"]
    if "lost_conversions" in speed:
        lines.append(Line(f"speed to lead: hot leads answered within {speed['fast_hours']:g} h converted "
                          f"{speed['fast_rate']:.1%}, later {speed['slow_rate']:.1%}: about "
                          f"{speed['lost_conversions']:.0f} conversions lost to slow follow-up of "
                          f"{speed['hot_slow']:,} hot leads"))
    late = s.get("late_hot_leads") or {}
    if late.get("late"):
        cost = "" if late["lost_conversions"] is None else (
            f": about {late['lost_conversions']:.0f} expected conversions lost (on time {late['on_time_rate']:.1%},"
            f" late {late['late_rate']:.1%})")
        shown = ", ".join(f"{r['lead_id']} ({r['first_response_hours']:g} h)" for r in late["leads"][:10])
        lines.append(Line(f"hot leads answered after their {late['deadline_hours']:g} h deadline: {late['late']:,}"
                          f"{cost}; latest: {shown}"))
    headings = ("source", "leads", "hot share", "predicted", "matured", "realised")
    sources = Rows("source quality", headings, headings[1:])
    for row in s["source_quality"]:
        sources.add(str(row["source"]), f"{row['leads']:,}", f"{row['hot_share']:.1%}", f"{row['predicted']:.1%}",
                        f"{row['matured']:,}", f"{row['realised']:.1%}")
    lines.append(Line(sources))
    if s["write_failures"] is not None:
        lines.append(Line(f"prediction-log write failures: {s['write_failures']}"))
    for row in s.get("questions", {}).get("fields", []):
        rates = {k: "n/a" if row[f"conversion_{k}"] is None else f"{row[f'conversion_{k}']:.1%}"
                 for k in ("answered", "unanswered")}
        lines.append(Line(f"question about {row['field']}: offered for {row['offered']:,} leads, answered later for "
                          f"{row['answered']:,}; converted {rates['answered']} of {row['matured_answered']:,} "
                          f"answered against {rates['unanswered']} of {row['matured_unanswered']:,} not answered"))
    lines += [Line(f"[red]breach[/]: {breach}") for breach in result.breaches]
    return lines
