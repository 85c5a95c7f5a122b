"""Options that several commands share, declared once: the spec, the engine, the Dask scheduler, the loop's
database, and the training defaults (training/fit/options.py) that `train` and `retrain` both show."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from training.fit.options import TrainOptions

TRAIN_DEFAULTS = TrainOptions()
DEFAULT_SPEC = Path("data/specs/synthetic.yaml")
SpecOption = Annotated[Path, typer.Option("--spec", help="Dataset spec (YAML); see data/specs/.")]


class Engine(StrEnum):
    """Where build, train and score run; typer refuses any other value with exit 2, naming --engine."""

    pandas = "pandas"
    dask = "dask"


EngineOption = Annotated[Engine, typer.Option("--engine", help="pandas (this machine) or dask (a cluster).")]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster).")]
TuneTrialsOption = Annotated[int, typer.Option("--tune-trials", min=0, help="Tuning trials per fit (0: no tuning).")]
DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLAlchemy URL of the prediction log (default LEADSCORE_PREDICTION_DB or sqlite:///predictions.db).")]
