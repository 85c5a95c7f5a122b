"""Publish a trained model: record the run in MLflow (parameters, metrics, artifacts, the model with
its metadata), then register it and pass it through the champion gate (training/registry/gate.py) when asked.

`train` (training/fit/train.py) computes and returns; this module is the edge that writes. Each step is
one small function run inside the active MLflow run.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import yaml
from mlflow.models import infer_signature

from features.atomic import write_texts
from features.context import computed_fields
from features.spec import DatasetSpec
from features.synth.export import ensure_export
from training.explain.contributions import explain_frame, mean_abs_points
from training.fit.decisions import log_decisions, run_name
from training.fit.metadata import model_metadata
from training.fit.progress import StepReporter
from training.fit.train import TrainOptions, TrainResult, source_column, train
from training.registry.contract import ModelMetadata, data_hash, json_safe
from training.registry.gate import register_and_gate
from training.registry.tracking import PIP_REQUIREMENTS, TRUSTED_TYPES, experiment_id, git_commit, recording_to
from training.report import cards
from training.report.engagement_page import engagement_view
from training.report.page import render_report
from training.report.plots import plot_evaluation, plot_shap_summary

EXPLAIN_SAMPLE = 2000


def train_and_publish(spec: DatasetSpec, options: TrainOptions, progress=None) -> TrainResult:
    """`leadscore train`: the export (the synthetic one is written when missing), the trained model,
    the metrics file when asked, and the MLflow run (registered and gated when asked)."""
    ensure_export(spec)
    started = time.monotonic()
    result = train(spec, options, progress)
    result.started = started
    write_and_publish(result, options)
    return result


def write_and_publish(result: TrainResult, options: TrainOptions) -> None:
    """The metrics file when asked, then the MLflow run: the last step of either engine's `train`."""
    if options.metrics_out:
        write_texts({options.metrics_out: json.dumps(result.metrics, indent=2, default=float)})
    publish(result, options)


def page_data(result, sample: pd.DataFrame, explanation, encoder) -> dict:
    """Chart data for the managers' page and the report (see training/report/cards.py)."""
    ts = result.training_set
    top = cards.drivers(explanation, encoder.is_numeric_, sample)
    held = result.rows
    source = source_column(ts)
    sources = sample[source].tolist() if source in sample else None
    computed = computed_fields(result.pipeline)  # the service makes them from a lead's activities and keys
    return {
        "drivers": top,
        "dependence": cards.dependence(explanation, sample, encoder, [d["feature"] for d in top]),
        "reliability": cards.reliability(ts.frame["label"].to_numpy()[held],
                                         result.predictions[result.metrics["served"]][held]),
        "form": cards.form_fields(encoder, sample, computed),
        "examples": cards.example_leads(sample, explanation.probability, encoder.display_names_, computed=computed),
        "example_tags": cards.example_tags(explanation.probability, result.metrics["bands"], sources),
        "known_limits": cards.KNOWN_LIMITS,
        "engagement": engagement_view(result.pipeline, explanation, ts.frame, ts.frame["label"].to_numpy()),
    }


def _signature_example(X: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float (they may be missing), text as str: what a CRM sends."""
    example = X.head(5).copy()
    for column in example.columns:
        if pd.api.types.is_numeric_dtype(example[column]):
            example[column] = example[column].astype("float64")
    return example


def log_params_and_metrics(result, options, run_hash: str) -> None:
    """The run's settings (parameters) and every model's held-out metrics."""
    ts, metrics = result.training_set, result.metrics
    classifier = result.pipeline.named_steps["classify"]
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
        mlflow.log_metrics({f"{model}.{k}": v for k, v in values.items() if isinstance(v, float) and np.isfinite(v)})


def log_evaluation_files(result, tmp: Path) -> None:
    """The spec, the profile, the metrics and the evaluation plots, as run artifacts."""
    ts = result.training_set
    (tmp / "spec.yaml").write_text(yaml.safe_dump(ts.spec.model_dump(), sort_keys=False, allow_unicode=True))
    (tmp / "profile.json").write_text(json.dumps(ts.profile(), indent=2, default=str))
    (tmp / "metrics.json").write_text(json.dumps(result.metrics, indent=2, default=float))
    y_held = ts.frame["label"].to_numpy()[result.rows]
    plot_evaluation(y_held, {n: p[result.rows] for n, p in result.predictions.items()}, tmp / "plots")
    for name in ("spec.yaml", "profile.json", "metrics.json"):
        mlflow.log_artifact(str(tmp / name))


def log_explanations(result, tmp: Path, reporter: StepReporter) -> dict:
    """SHAP on a sample: the summary plot, feature importance, and the page data (returned)."""
    ts = result.training_set
    X = ts.frame[ts.features]
    sample = X.sample(n=min(EXPLAIN_SAMPLE, len(X)), random_state=ts.spec.evaluation.seed)
    reporter.start("explanations (SHAP)", 1)
    explanation = explain_frame(result.pipeline, sample)
    reporter.finish("explanations (SHAP)")
    encoder, classifier = result.pipeline.named_steps["encode"], result.pipeline.named_steps["classify"]
    plot_shap_summary(explanation, tmp / "plots")
    importance = mean_abs_points(explanation)
    importance["gain"] = importance["feature"].map(
        dict(zip(encoder.display_names_, classifier.feature_importances_, strict=True)))
    importance.to_csv(tmp / "feature_importance.csv", index=False)
    mlflow.log_artifact(str(tmp / "feature_importance.csv"))
    mlflow.log_artifacts(str(tmp / "plots"), artifact_path="plots")
    return page_data(result, sample, explanation, encoder)


def log_reports(metadata: ModelMetadata, tmp: Path) -> None:
    """The model report in English and Chinese."""
    for name, lang in (("report.html", "en"), ("report.zh.html", "zh")):
        (tmp / name).write_text(render_report(metadata, lang), encoding="utf-8")
        mlflow.log_artifact(str(tmp / name))


def log_pipeline(result, metadata: dict):
    """The fitted Pipeline in the skops format, with its signature and metadata; MLflow's model info."""
    ts = result.training_set
    example = _signature_example(ts.frame[ts.features])
    return mlflow.sklearn.log_model(
        result.pipeline, name="model", serialization_format="skops", skops_trusted_types=TRUSTED_TYPES,
        signature=infer_signature(example, result.pipeline.predict_proba(example)[:, 1]),
        input_example=example, pip_requirements=PIP_REQUIREMENTS, pyfunc_predict_fn="predict_proba",
        metadata={"leadscore": metadata},
    )


def publish(result: TrainResult, options: TrainOptions) -> None:
    """Log the run (params, metrics, artifacts, model); register and promote when asked.
    Sets result.run_id, tracking_uri, model_uri (and version, promoted, gate_message)."""
    ts = result.training_set
    name = options.model_name or f"leadscore-{ts.spec.name}"
    run_hash = data_hash(ts.frame)
    with recording_to() as uri:
        _record(result, options, uri, run_hash)
        if options.register or options.promote:
            from training.registry.model_contract import check_logged_model  # the check the service runs on loads

            check_logged_model(result.logged_model_uri)
            register_and_gate(result, name, result.logged_model_uri, run_hash, options.promote,
                              getattr(options, "allow_no_skill", False))


def _record(result: TrainResult, options: TrainOptions, uri: str, run_hash: str) -> None:
    """Everything inside the MLflow run; sets result.run_id, tracking_uri, model_uri, logged_model_uri."""
    ts = result.training_set
    reporter = getattr(options, "reporter", None) or StepReporter()
    with mlflow.start_run(experiment_id=experiment_id(f"leadscore-{ts.spec.name}", uri),
                          run_name=run_name(ts.spec.name)) as run, \
            tempfile.TemporaryDirectory(prefix="leadscore-") as tmp:
        tmp = Path(tmp)
        log_params_and_metrics(result, options, run_hash)
        log_evaluation_files(result, tmp)
        page = log_explanations(result, tmp, reporter)
        reporter.start("MLflow logging", 1)
        metadata = json_safe(model_metadata(result, page))
        log_reports(metadata, tmp)
        info = log_pipeline(result, metadata.model_dump())
        log_decisions(ts, options, time.monotonic() - (result.started or time.monotonic()), result.metrics)
        reporter.finish("MLflow logging")
    result.run_id, result.tracking_uri, result.model_uri = run.info.run_id, uri, f"runs:/{run.info.run_id}/model"
    result.logged_model_uri = info.model_uri
