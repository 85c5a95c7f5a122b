"""Record a training run in MLflow; register the model and move the champion alias through a gate.

The gate: a new model becomes champion only when, on the same evaluation rows, its ROC-AUC is not
lower than the champion's by more than 0.002 and its Brier score is not worse. When both runs
evaluated the same training data (same hash and protocol) their recorded held-out metrics are
compared. Otherwise the champion scores this run's evaluation rows; it may have trained on some of
them, which favours the champion: the gate errs on the side of keeping it.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import yaml
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from training import cards
from training.decisions import log_decisions, record_gate, run_name
from training.explain import explain_frame, mean_abs_points
from training.metrics import score_metrics
from training.plots import plot_evaluation, plot_shap_summary
from training.progress import StepReporter
from training.report import render_report
from training.tracking import CHAMPION, PIP_REQUIREMENTS, TRUSTED_TYPES, configure_tracking, git_commit, load_model

log = logging.getLogger(__name__)
AUC_TOLERANCE = 0.002
EXPLAIN_SAMPLE = 2000


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


def _champion_metrics(client: MlflowClient, name: str, result, run_hash: str) -> dict | None:
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


def page_data(result, sample: pd.DataFrame, explanation, encoder) -> dict:
    """Chart data for the managers' page and the report (see training/cards.py)."""
    ts = result.training_set
    top = cards.drivers(explanation, encoder.is_numeric_, sample)
    held = result.rows
    source = next((safe for safe, original in ts.feature_names.items()
                   if result.metrics.get("source_column") in (safe, original)), None)
    sources = sample[source].tolist() if source in sample else None
    return {
        "drivers": top,
        "dependence": cards.dependence(explanation, sample, encoder, [d["feature"] for d in top]),
        "reliability": cards.reliability(ts.frame["label"].to_numpy()[held],
                                         result.predictions[result.metrics["served"]][held]),
        "form": cards.form_fields(encoder, sample),
        "examples": cards.example_leads(sample, explanation.probability, encoder.display_names_),
        "example_tags": cards.example_tags(explanation.probability, result.metrics["bands"], sources),
        "known_limits": cards.KNOWN_LIMITS,
    }


def _signature_example(X: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float (they may be missing), text as str: what a CRM sends."""
    example = X.head(5).copy()
    for column in example.columns:
        if pd.api.types.is_numeric_dtype(example[column]):
            example[column] = example[column].astype("float64")
    return example


def publish(result, options) -> None:
    """Log the run (params, metrics, artifacts, model); register and promote when asked."""
    from training.train import data_hash, model_metadata

    reporter = getattr(options, "reporter", None) or StepReporter()
    uri = configure_tracking()
    ts, metrics = result.training_set, result.metrics
    X = ts.frame[ts.features]
    name = options.model_name or f"leadscore-{ts.spec.name}"
    run_hash = data_hash(ts.frame)
    mlflow.set_experiment(f"leadscore-{ts.spec.name}")
    classifier = result.pipeline.named_steps["classify"]
    with mlflow.start_run(run_name=run_name(ts.spec.name)) as run, \
            tempfile.TemporaryDirectory(prefix="leadscore-") as tmp:
        tmp = Path(tmp)
        commit = git_commit()
        if commit:
            mlflow.set_tag("mlflow.source.git.commit", commit)
        mlflow.log_params({
            "dataset": ts.spec.name, "protocol": metrics["protocol"], "data_hash": run_hash,
            "served": metrics["served"],
            "rows": ts.frame_stats()["rows"], "features": len(ts.features), "seed": ts.spec.evaluation.seed,
            "folds": ts.spec.evaluation.folds, "tune_trials": options.tune_trials,
            "tune_minutes": options.tune_minutes, "calibration": classifier.calibration_,
            "n_estimators": classifier.n_estimators_, "served_kind": classifier.kind_,
            "lightgbm_weight": classifier.weight_, **{f"lgbm.{k}": v for k, v in classifier.params_.items()},
        })
        for model, values in metrics["models"].items():
            mlflow.log_metrics({f"{model}.{k}": v for k, v in values.items()
                                if isinstance(v, float) and np.isfinite(v)})

        (tmp / "spec.yaml").write_text(yaml.safe_dump(ts.spec.model_dump(), sort_keys=False, allow_unicode=True))
        (tmp / "profile.json").write_text(json.dumps(ts.profile(), indent=2, default=str))
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float))
        y_held = ts.frame["label"].to_numpy()[result.rows]
        plots = plot_evaluation(y_held, {n: p[result.rows] for n, p in result.predictions.items()}, tmp / "plots")
        sample = X.sample(n=min(EXPLAIN_SAMPLE, len(X)), random_state=ts.spec.evaluation.seed)
        reporter.start("explanations (SHAP)", 1)
        explanation = explain_frame(result.pipeline, sample)
        reporter.finish("explanations (SHAP)")
        reporter.start("MLflow logging", 1)
        encoder = result.pipeline.named_steps["encode"]
        plots.append(plot_shap_summary(explanation, tmp / "plots"))
        importance = mean_abs_points(explanation)
        importance["gain"] = importance["feature"].map(
            dict(zip(encoder.display_names_, classifier.feature_importances_, strict=True)))
        importance.to_csv(tmp / "feature_importance.csv", index=False)
        for path in (tmp / "spec.yaml", tmp / "profile.json", tmp / "metrics.json", tmp / "feature_importance.csv"):
            mlflow.log_artifact(str(path))
        mlflow.log_artifacts(str(tmp / "plots"), artifact_path="plots")

        metadata = model_metadata(result)
        metadata["page"] = page_data(result, sample, explanation, encoder)
        metadata = json.loads(json.dumps(metadata, default=float))
        (tmp / "report.html").write_text(render_report(metadata, "en"), encoding="utf-8")
        (tmp / "report.zh.html").write_text(render_report(metadata, "zh"), encoding="utf-8")
        mlflow.log_artifact(str(tmp / "report.html"))
        mlflow.log_artifact(str(tmp / "report.zh.html"))
        example = _signature_example(X)
        info = mlflow.sklearn.log_model(
            result.pipeline, name="model", serialization_format="skops", skops_trusted_types=TRUSTED_TYPES,
            signature=infer_signature(example, result.pipeline.predict_proba(example)[:, 1]),
            input_example=example, pip_requirements=PIP_REQUIREMENTS, pyfunc_predict_fn="predict_proba",
            metadata={"leadscore": metadata},
        )
        log_decisions(ts, options, time.monotonic() - getattr(result, "started", time.monotonic()))
        reporter.finish("MLflow logging")
    result.run_id, result.tracking_uri, result.model_uri = run.info.run_id, uri, f"runs:/{run.info.run_id}/model"
    if not (options.register or options.promote):
        return
    version = mlflow.register_model(info.model_uri, name)
    result.version = str(version.version)
    if options.promote:
        client = MlflowClient()
        champion = _champion_metrics(client, name, result, run_hash)
        result.promoted, result.gate_message = decide_promotion(metrics["models"][metrics["served"]], champion)
        if result.promoted:
            client.set_registered_model_alias(name, CHAMPION, result.version)
        client.set_model_version_tag(name, result.version, "gate", result.gate_message)
        record_gate(client, result)
        log.info("model %s version %s: %s", name, result.version, result.gate_message)

