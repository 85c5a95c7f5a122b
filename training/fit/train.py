"""Train: evaluate the model (LightGBM and logistic blended, training/model/classifier.py), its LightGBM member
and the baselines on the same held-out rows, and refit the final model on all rows. Returns a
`TrainResult` and writes nothing: recording it in MLflow is training/registry/publish.py's step."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.build import TrainingSet, build_training_set
from features.spec import DatasetSpec
from training.evaluate.metrics import auc_by_source, band_thresholds, rate_by_band, score_metrics, score_quantiles
from training.evaluate.skill import BASE_RATE, skill_report
from training.evaluate.splits import (
    evaluated_rows,
    evaluation_splits,
    held_out_predictions,
    prediction_of,
    protocol_name,
)
from training.fit.options import TrainOptions
from training.model.baselines import OdooNaiveBayes, make_logistic
from training.model.boost import HOLDOUT_ROWS
from training.model.classifier import make_pipeline
from training.report.engagement_names import with_engagement_names
from training.rules.table import load_rules

log = logging.getLogger(__name__)
SERVED = "leadscore"  # the row of the served model in the run's table
SOURCE_GUESSES = ("lead_source", "source", "channel", "lead_channel", "lead_origin")
# From this many rows the final fit reuses the last evaluation fit's choices (tree count, logistic
# penalty, blend weight, calibrator) instead of learning them again on its own inner holdout: on
# 1,000,000 leads that second inner fit cost about a quarter of the run, for choices learned from
# 800,000 of the same rows.
REUSE_ROWS = HOLDOUT_ROWS


@dataclass
class TrainResult:
    metrics: dict
    pipeline: object
    training_set: TrainingSet
    predictions: dict[str, np.ndarray]
    rows: np.ndarray
    run_id: str | None = None
    tracking_uri: str | None = None
    model_uri: str | None = None
    version: str | None = None
    promoted: bool | None = None
    gate_message: str | None = None
    logged_model_uri: str | None = None  # MLflow 3's models:/m-... of the logged model, what registration takes
    started: float | None = None  # time.monotonic() when training began, for the wall time on the run

    @property
    def refused_for_no_skill(self) -> bool:
        """--promote kept the champion because this model has no skill (training/registry/gate.py)."""
        from training.registry.gate import NO_SKILL_KEPT

        return self.promoted is False and (self.gate_message or "").startswith(NO_SKILL_KEPT)


class _Progress:
    """Optional rich progress: one bar for held-out fits, one for tuning trials."""

    def __init__(self, progress, total_fits: int, total_trials: int | None = None):
        self.progress = progress
        self.fits = progress.add_task("fits (folds, then the final fit)", total=total_fits) if progress else None
        self.trials = progress.add_task("tuning trials", total=total_trials or None) if progress else None

    def fit_done(self) -> None:
        if self.progress:
            self.progress.advance(self.fits)

    def trial_done(self) -> None:
        if self.progress:
            self.progress.advance(self.trials)


def fit_model(X: pd.DataFrame, y: np.ndarray, ts: TrainingSet, options: TrainOptions, minutes: float | None,
              progress: _Progress | None = None, learned: dict | None = None, groups=None):
    """The model Pipeline fitted on these rows: tuning (if asked), early stopping, blending and
    calibration all happen inside `pipeline.fit` (or, with `learned`, are an earlier fit's). `groups`:
    the lead of each row (`lead_groups`), so that a lead's snapshot rows stay on one side of every inner split."""
    spec = ts.spec
    pipeline = make_pipeline(X, ts.feature_names, spec.leads.missing_values, seed=spec.evaluation.seed,
                             n_jobs=options.n_jobs, tune_trials=options.tune_trials, tune_minutes=minutes,
                             learned=learned, context=ts.relation.context if ts.relation else None)
    return pipeline.fit(X, y, classify__progress=progress.trial_done if progress else None, classify__groups=groups)


def lead_groups(ts: TrainingSet, X: pd.DataFrame) -> np.ndarray | None:
    """The lead id of each row of X (rows of `ts.frame`, by index): LeadClassifier keeps a lead's rows together."""
    if "lead_id" not in ts.frame or not ts.frame.index.is_unique:
        return None
    return ts.frame["lead_id"].loc[X.index].to_numpy()


def predict_candidates(pipeline, E: pd.DataFrame) -> dict[str, np.ndarray]:
    """The served model's probabilities and its LightGBM member's on its own (logistic function of its log-odds)."""
    matrix = pipeline.named_steps["encode"].transform(E)
    members = pipeline.named_steps["classify"].member_log_odds(matrix)
    return {SERVED: pipeline.named_steps["classify"].predict_proba(matrix)[:, 1],
            "lightgbm": 1.0 / (1.0 + np.exp(-members["lightgbm"]))}


def candidate_models(ts: TrainingSet, options: TrainOptions, minutes: float | None,
                     progress: _Progress | None, learned: list | None = None) -> dict[str, Callable]:
    """name -> fit_predict(X_train, y_train, X_eval) for the model and every baseline (a dict of
    name -> predictions when one fit yields several candidates). With `learned`, each evaluation fit of
    the model appends its choices (`LeadClassifier.learned_`) to it."""

    def fit_served(X, y, E):
        pipeline = fit_model(X, y, ts, options, minutes, progress, groups=lead_groups(ts, X))
        if learned is not None:
            learned.append(pipeline.named_steps["classify"].learned_)
        return predict_candidates(pipeline, E)

    return {SERVED: fit_served,
            **{name: (lambda X, y, E, fit=fit: fit(X, y)(E)) for name, fit in baseline_fits(ts).items()}}


def baseline_fits(ts: TrainingSet) -> dict[str, Callable]:
    """name -> fit(X_train, y_train) giving predict(X) (probabilities) for every baseline. Fitting apart
    from predicting lets the Dask engine fit once and predict on the workers."""
    seed = ts.spec.evaluation.seed
    fits = {
        BASE_RATE: lambda X, y: (lambda E, rate=float(np.mean(y)): np.full(len(E), rate)),  # no skill at all
        "logistic_regression": lambda X, y: _positive_probability(make_logistic(X, seed).fit(X, y)),
        "naive_bayes_odoo": lambda X, y: _positive_probability(OdooNaiveBayes().fit(X, y)),
    }
    if ts.spec.rules:
        table = load_rules(ts.spec.rules)
        fits["rules"] = lambda X, y: lambda E: table.points_frame(E) / 100.0  # points as a probability: no fitting
    return fits


def _positive_probability(model) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda E: model.predict_proba(E)[:, 1]


def source_column(ts: TrainingSet) -> str | None:
    """The lead-source feature for per-source metrics: the spec's, else a well-known name."""
    wanted = ts.spec.evaluation.source_column
    by_original = {original: safe for safe, original in ts.feature_names.items()}
    if wanted:
        return by_original.get(wanted, wanted if wanted in ts.feature_names else None)
    return next((name for name in SOURCE_GUESSES if name in ts.feature_names), None)


def served_bands(spec: DatasetSpec, p: np.ndarray, average: float) -> dict:
    """The served model's band thresholds (the spec's shares; never cold at or above the average lead),
    the average lead's probability and the held-out score percentiles, for the answer's percentile."""
    return {**band_thresholds(p, spec.bands.hot, spec.bands.warm, average), "average": float(average),
            "quantiles": score_quantiles(p), "hot_share": spec.bands.hot, "warm_share": spec.bands.warm}


def evaluate_models(y: np.ndarray, predictions: dict[str, np.ndarray], sources: pd.Series | None,
                    spec: DatasetSpec | None = None, average: float | None = None) -> dict:
    report = {}
    shares = (spec.bands.hot, spec.bands.warm) if spec is not None else (0.10, 0.30)
    for name, p in predictions.items():
        thresholds = band_thresholds(p, *shares, average)
        report[name] = {**score_metrics(y, p), "bands": rate_by_band(y, p, thresholds)}
        if sources is not None:
            report[name]["by_source"] = auc_by_source(y, p, sources)
    return report


def final_model_summary(classifier) -> dict:
    """What was served: kind, blend weight, LightGBM settings, calibration, number of trees (a refit's
    count, and the served booster's, which holds every inner fold's trees when it is their mean)."""
    return {"kind": classifier.kind_, "lightgbm_weight": classifier.weight_, "params": dict(classifier.params_),
            "calibration": classifier.calibration_, "n_estimators": int(classifier.n_estimators_),
            "bagged_folds": int(getattr(classifier, "bagged_folds_", 0)),
            "trees": int(classifier.trees_.num_trees())}


def evaluate_all(ts: TrainingSet, options: TrainOptions, progress=None) -> TrainResult:
    """Held-out predictions and metrics of every model, then the final model on all rows."""
    spec = ts.spec
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    splits = evaluation_splits(ts.frame, spec.evaluation.folds, spec.evaluation.seed)
    minutes = options.tune_minutes / (len(splits) + 1) if options.tune_minutes else None
    bar = _Progress(progress, total_fits=len(splits) * (4 + bool(spec.rules)) + 1,
                    total_trials=None if options.tune_minutes else options.tune_trials * (len(splits) + 1))
    learned = []
    models = candidate_models(ts, options, minutes, bar, learned)

    predictions = {}
    for name, fit_predict in models.items():
        predictions.update(held_out_predictions(fit_predict, X, y, splits, bar.fit_done, name))
    rows = evaluated_rows(splits)
    source = source_column(ts)
    sources = X[source].iloc[rows] if source else None
    held = {name: p[rows] for name, p in predictions.items()}
    average = float(np.mean(y))
    report = evaluate_models(y[rows], held, sources, spec, average)

    pipeline = fit_model(X, y, ts, options, minutes, bar, learned[-1] if len(y) >= REUSE_ROWS else None,
                         groups=lead_groups(ts, X))
    bar.fit_done()
    classifier = pipeline.named_steps["classify"]
    ts.glossary = with_engagement_names(ts.glossary, pipeline)  # engagement reasons in plain words
    metrics = {
        "protocol": protocol_name(ts.frame, spec.evaluation.folds, prediction=prediction_of(spec)),
        "rows_evaluated": int(len(rows)),
        "served": SERVED,
        "models": report,
        "bands": served_bands(spec, held[SERVED], average),
        "source_column": ts.feature_names.get(source, source) if source else None,
        "final_model": final_model_summary(classifier),
        "skill": skill_report(y[rows], held, SERVED, spec.evaluation.seed),
    }
    return TrainResult(metrics=metrics, pipeline=pipeline, training_set=ts, predictions=predictions, rows=rows)


def train(spec: DatasetSpec, options: TrainOptions, progress=None) -> TrainResult:
    """Build the training set, evaluate every model honestly and fit the final model."""
    from training.explain.askable import askable_metadata

    ts = build_training_set(spec)
    askable_metadata(None, ts)  # a bad `askable` in the spec stops here, not after the fits
    return evaluate_all(ts, options, progress)
