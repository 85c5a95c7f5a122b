"""The champion gate: register a trained model and move the champion alias only when it is not worse.

A new model becomes champion only when, on the same evaluation rows, its ROC-AUC is not lower than
the champion's by more than 0.002 and its Brier score is not worse. When both runs evaluated the same
training data (same hash and protocol) their recorded held-out metrics are compared. Otherwise the
champion scores this run's evaluation rows; it may have trained on some of them, which favours the
champion: the gate errs on the side of keeping it.
"""

from __future__ import annotations

import logging

import mlflow
from mlflow.tracking import MlflowClient

from training.evaluate.metrics import score_metrics
from training.fit.decisions import record_gate
from training.registry.tracking import CHAMPION, client_for, load_model

log = logging.getLogger(__name__)
AUC_TOLERANCE = 0.002


def decide_promotion(new: dict, champion: dict | None) -> tuple[bool, str]:
    """(promote?, why) from held-out ROC-AUC and Brier score on the same evaluation rows."""
    if champion is None:
        return True, "no champion yet"
    auc_ok = new["roc_auc"] >= champion["roc_auc"] - AUC_TOLERANCE
    brier_ok = new["brier"] <= champion["brier"]
    summary = (f"ROC-AUC {new['roc_auc']:.4f} vs champion {champion['roc_auc']:.4f}, "
               f"Brier {new['brier']:.4f} vs {champion['brier']:.4f}")
    if auc_ok and brier_ok:
        return True, f"beats the champion: {summary}"
    reasons = ([f"ROC-AUC lower by more than {AUC_TOLERANCE}"] if not auc_ok else []) + (
        ["Brier score worse"] if not brier_ok else [])
    return False, f"kept the champion ({'; '.join(reasons)}): {summary}"


def champion_metrics(client: MlflowClient, name: str, result, run_hash: str) -> dict | None:
    """The champion's metrics on this run's evaluation rows (None when there is no champion)."""
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return None
    run = client.get_run(version.run_id)
    same_data = (run.data.params.get("data_hash") == run_hash
                 and run.data.params.get("protocol") == result.metrics["protocol"])
    if same_data:
        recorded = run.data.metrics
        served = run.data.params.get("served", "lightgbm")  # runs before issue 12 served LightGBM
        return {"roc_auc": recorded[f"{served}.roc_auc"], "brier": recorded[f"{served}.brier"]}
    champion = load_model(f"models:/{name}@{CHAMPION}")
    frame = result.training_set.frame.iloc[result.rows]
    p = champion.pipeline.predict_proba(frame[result.training_set.features])[:, 1]
    return score_metrics(frame["label"].to_numpy(), p)


NO_SKILL_KEPT = "champion kept: the model has no skill"


def register_and_gate(result, name: str, model_uri: str, run_hash: str, promote: bool,
                      allow_no_skill: bool = False) -> None:
    """Register the logged model as a new version of `name`; with `promote`, pass it through the gate.
    A model with no skill (training/evaluate/skill.py) is refused unless `allow_no_skill`.
    Sets result.version, and with `promote` result.promoted and result.gate_message."""
    result.version = str(mlflow.register_model(model_uri, name).version)
    if not promote:
        return
    client = client_for()
    metrics = result.metrics
    if (metrics.get("skill") or {}).get("no_skill") and not allow_no_skill:
        result.promoted = False
        result.gate_message = (f"{NO_SKILL_KEPT} (it does not separate buyers from the rest on the held-out "
                               "rows); pass --allow-no-skill to promote it anyway")
    else:
        champion = champion_metrics(client, name, result, run_hash)
        result.promoted, result.gate_message = decide_promotion(metrics["models"][metrics["served"]], champion)
    if result.promoted:
        client.set_registered_model_alias(name, CHAMPION, result.version)
    client.set_model_version_tag(name, result.version, "gate", result.gate_message)
    record_gate(client, result)
    log.info("model %s version %s: %s", name, result.version, result.gate_message)
