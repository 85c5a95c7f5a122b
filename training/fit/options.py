"""The options of a training run, shared by `train`, `retrain` and the Dask run: one set of defaults.
Light on purpose (no numpy, no pandas), so the command line reads its defaults without loading a model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class TrainOptions:
    tune_trials: int = 0  # opt-in: tuning bought little ROC-AUC for many times the time (docs/decisions/002)
    tune_minutes: float | None = None  # the whole run's budget, split over its fits (evaluate_all)
    register: bool = False
    promote: bool = False
    model_name: str | None = None
    metrics_out: Path | None = None
    n_jobs: int = 2
    reporter: object = None  # training/fit/progress.py StepReporter for the explanation and MLflow steps
