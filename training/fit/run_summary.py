"""`leadscore train --summary-json FILE`: what a scheduler needs from a run, in one small JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from features.atomic import write_texts
from training.evaluate.skill import ties_and_wins


def baseline_winner(metrics: dict) -> str | None:
    """The baseline with the highest held-out ROC-AUC among those that beat the served model beyond noise
    (the whole bootstrap interval of the difference above 0); runs without intervals compare the figures.

    The served model's own members (its LightGBM alone) are not baselines: they are parts of it.
    """
    models, served = metrics["models"], metrics.get("served", "lightgbm")
    verdicts = ties_and_wins(metrics.get("skill"))
    baselines = [name for name in models if name not in (served, "lightgbm")]
    if verdicts:
        baselines = [name for name in baselines if verdicts.get(name) == "better"]
    best = max(baselines, key=lambda n: models[n]["roc_auc"], default=None)
    return best if best is not None and models[best]["roc_auc"] > models[served]["roc_auc"] else None


def tied_models(metrics: dict) -> list[str]:
    """Other models whose ROC-AUC differs from the served model's by less than the interval: a tie."""
    return [name for name, v in ties_and_wins(metrics.get("skill")).items() if v == "tie"]


def no_skill(metrics: dict) -> bool:
    return bool((metrics.get("skill") or {}).get("no_skill"))


def no_skill_warning(metrics: dict) -> str | None:
    """The sentence a run, its summary and its MLflow run carry when the model separates nothing."""
    skill = metrics.get("skill") or {}
    if not skill.get("no_skill"):
        return None
    low, high = skill["roc_auc"]
    parts = [f"ROC-AUC {skill['confidence']:.0%} interval {low:.3f} to {high:.3f} includes 0.5"
             if "roc_auc" in skill["no_skill_reasons"] else None]
    if "brier" in skill["no_skill_reasons"]:
        parts.append(f"Brier score minus the base rate's: {skill['brier_minus_base_rate']:+.4f}, not below 0")
    return ("no skill: the model does not separate buyers from the rest on the held-out rows ("
            + "; ".join(p for p in parts if p) + "); it is not promoted without --allow-no-skill")


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
        "ties": tied_models(metrics),
        "no_skill": no_skill(metrics),
        "skill": metrics.get("skill"),
        "rows_evaluated": metrics["rows_evaluated"],
        "protocol": metrics["protocol"],
        "metrics": {name: {k: v for k, v in m.items() if isinstance(v, float)}
                    for name, m in metrics["models"].items()},
        "warnings": result.training_set.warnings() + [w for w in [no_skill_warning(metrics)] if w],
    }


def write_summary(path: Path, result) -> Path:
    write_texts({Path(path): json.dumps(summary(result), indent=2, default=float, allow_nan=True)})
    return Path(path)
