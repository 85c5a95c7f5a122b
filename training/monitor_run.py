"""`leadscore monitor` as one call: read the prediction log and outcomes, load the metadata of the
model that answered, compute the report (training/monitor.py), store it beside the log, log it to
MLflow and optionally write it as HTML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.errors import LeadscoreError
from training.monitor import MonitorResult, load_thresholds, monitor, read_log
from training.service_client import read_write_failures


@dataclass
class MonitorRun:
    result: MonitorResult
    run_id: str


def monitor_inputs(url: str, since: str | None, model: str | None) -> tuple[pd.DataFrame, pd.DataFrame, dict, str]:
    """Log, outcomes, the metadata of the model that answered (its latest logged version), its name."""
    from training.tracking import load_model

    log, found = read_log(url, since, model)
    names = sorted(log["model_name"].dropna().unique())
    if model is None and len(names) != 1:
        raise LeadscoreError(f"the log holds {len(names)} model names ({', '.join(names) or 'none'}); "
                             "choose one with --model NAME")
    name = model or names[0]
    versions = log.loc[log["model_name"] == name].sort_values("logged_at")["model_version"].dropna()
    uri = f"models:/{name}/{versions.iloc[-1]}" if len(versions) else f"models:/{name}@champion"
    return log, found, load_model(uri).metadata, name


def run_monitoring(db_url: str, since: str | None = None, model: str | None = None,
                   thresholds: Path | None = None, service: str | None = None,
                   html: Path | None = None) -> MonitorRun:
    """Compute, store, track (and write as HTML) one monitoring report."""
    from training.monitor_report import log_to_mlflow, render_html, store

    limits = load_thresholds(thresholds)
    log, found, meta, name = monitor_inputs(db_url, since, model)
    failures = read_write_failures(service) if service else None
    result = monitor(log, found, meta, limits, failures, name)
    store(db_url, result)
    run_id = log_to_mlflow(result)
    if html:
        html.write_text(render_html(result), encoding="utf-8")
    return MonitorRun(result=result, run_id=run_id)
