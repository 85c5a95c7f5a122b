"""`leadscore train --summary-json FILE`: what a scheduler needs from a run, in one small JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from features.atomic import write_texts


def baseline_winner(metrics: dict) -> str | None:
    """The baseline with the highest held-out ROC-AUC, when it is above the served model's on the same rows.

    The served model's own members (its LightGBM alone) are not baselines: they are parts of it.
    """
    models, served = metrics["models"], metrics.get("served", "lightgbm")
    baselines = [name for name in models if name not in (served, "lightgbm")]
    best = max(baselines, key=lambda n: models[n]["roc_auc"], default=None)
    return best if best is not None and models[best]["roc_auc"] > models[served]["roc_auc"] else None


def summary(result) -> dict:
    metrics = result.metrics
    return {
        "run_id": result.run_id,
        "tracking_uri": result.tracking_uri,
        "model_uri": result.model_uri,
        "version": result.version,
        "promoted": result.promoted,
        "gate": result.gate_message,
        "baseline_beats_served_model": baseline_winner(metrics),
        "rows_evaluated": metrics["rows_evaluated"],
        "protocol": metrics["protocol"],
        "metrics": {name: {k: v for k, v in m.items() if isinstance(v, float)}
                    for name, m in metrics["models"].items()},
        "warnings": result.training_set.warnings(),
    }


def write_summary(path: Path, result) -> Path:
    write_texts({Path(path): json.dumps(summary(result), indent=2, default=float, allow_nan=True)})
    return Path(path)
