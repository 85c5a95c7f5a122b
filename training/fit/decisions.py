"""What a training run decided, recorded on its MLflow run: a readable run name, the wall time, the
settings used (tuned or default), the data warnings, and the promotion gate's decision."""

from __future__ import annotations

import json
from datetime import datetime

import mlflow


def run_name(dataset: str, now: datetime | None = None) -> str:
    """DATASET-YYYYMMDD-HHMM, so runs read in order in the MLflow UI."""
    return f"{dataset}-{(now or datetime.now()).strftime('%Y%m%d-%H%M')}"


def log_decisions(ts, options, seconds: float, metrics: dict | None = None) -> None:
    """Inside the active run: wall time, tuned or default settings, warnings about the data, and whether
    the model has no skill (`no_skill` tag, training/evaluate/skill.py)."""
    mlflow.log_metric("train_seconds", round(seconds, 1))
    tuned = bool(options.tune_trials or options.tune_minutes)
    mlflow.set_tags({
        "no_skill": str(bool((metrics or {}).get("skill", {}).get("no_skill"))).lower(),
        "settings": "tuned" if tuned else "default",
        "leak_warnings": json.dumps(ts.leak_warnings, ensure_ascii=False)[:5000],
        "label_warnings": json.dumps(ts.label_report.warnings(), ensure_ascii=False)[:5000],
    })


def record_gate(client, result) -> None:
    """The gate's decision on the run as well as on the registered version."""
    client.set_tag(result.run_id, "gate", result.gate_message)
    client.set_tag(result.run_id, "promoted", str(bool(result.promoted)).lower())
