"""The `leadscore` command line: one command per user task.

It lives in `serving` because it is the outermost layer: it reaches every stage. Each command imports
its stage when it runs, so `leadscore --help` stays fast and importing this module has no side effects.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from features.errors import LeadscoreError
from serving.cli.loop import register as register_loop_commands

if TYPE_CHECKING:  # features.messages imports numpy: `leadscore --help` stays without it
    from features.messages import Line

app = typer.Typer(help="Lead-conversion scoring: build training sets, train, score and serve.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
# Wide enough for the metrics table when output is not a terminal (CI logs, files).
console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
DEFAULT_SPEC = Path("data/specs/synthetic.yaml")
SpecOption = Annotated[Path, typer.Option("--spec", help="Dataset spec (YAML); see data/specs/.")]


class Engine(StrEnum):
    """Where build, train and score run; typer refuses any other value with exit 2, naming --engine."""

    pandas = "pandas"
    dask = "dask"


EngineOption = Annotated[Engine, typer.Option("--engine", help="pandas (this machine) or dask (a cluster).")]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster).")]


def _setup_logging(verbose: bool) -> None:
    # -v adds the project's own debug lines only, not every library's (matplotlib, git, ...).
    logging.basicConfig(level=logging.INFO, format="%(message)s",
                        handlers=[RichHandler(console=console, show_path=False)], force=True)
    for own in ("features", "training", "serving"):
        logging.getLogger(own).setLevel(logging.DEBUG if verbose else logging.NOTSET)
    for noisy in ("alembic", "mlflow", "urllib3", "optuna", "bentoml", "shap", "numba", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    _setup_logging(verbose)


def fail(message: str) -> None:
    """One red line and exit code 2: what users see for a mistake they can fix."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code=2)


def run_guarded(action):
    """Run a command body; a LeadscoreError becomes one red line and exit code 2, never a traceback."""
    try:
        return action()
    except LeadscoreError as exc:
        fail(str(exc).replace("[", r"\["))


def say(line: Line) -> None:
    """Print one Line a stage hands over, as it comes: a warning in yellow (its text shown as it is)."""
    if line.warning:
        console.print(f"[bold yellow]warning:[/] {escape(str(line.text))}", highlight=False)
    else:
        console.print(line.text, highlight=line.highlight)


@app.command()
def synth(
    leads: Annotated[int, typer.Option("--leads", min=1, help="Number of leads to generate.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same export.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Folder for leads.csv, outcomes.csv, truth.csv.")] = Path(
        "data/generated/synthetic"),
    date_format: Annotated[str | None, typer.Option(
        "--date-format", help='strftime pattern for the dates, e.g. "%d-%m-%Y %H:%M" (default ISO 8601).')] = None,
    variant: Annotated[list[str] | None, typer.Option(
        "--variant", help="Harder data, repeatable: rare, linear, high-cardinality, drift.")] = None,
    later: Annotated[bool, typer.Option("--later", help="The later export for the feedback loop: a next period "
                                        "with drift, new_leads.csv and outcomes_import.csv (features/synth/later.py).")
                     ] = False,
) -> None:
    """Write a synthetic CRM export (the embedded default data)."""
    from features.synth.later import run_synth

    if later and variant:
        raise typer.BadParameter("--later and --variant do not combine; choose one")
    run_guarded(lambda: run_synth(out, leads, seed, date_format, tuple(variant or ()), later, say))


@app.command()
def init(
    source: Annotated[Path | None, typer.Option("--from", help="Leads export (.csv or .parquet).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Spec to write (a display-glossary stub goes beside it).")] = Path(
        "spec.yaml"),
    outcomes: Annotated[Path | None, typer.Option("--outcomes", help="Table of won deals, if separate.")] = None,
    sql_url: Annotated[str | None, typer.Option("--sql-url", help="SQLAlchemy URL to read leads from.")] = None,
    sql_query: Annotated[str | None, typer.Option("--sql-query", help="SELECT returning one lead per row.")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding of the CSV (e.g. latin-1).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing spec.")] = False,
) -> None:
    """Write a commented dataset spec for your own export: then edit it, build and train."""
    from features.init.write import run_init

    run_guarded(lambda: run_init(out, source, sql_url, sql_query, outcomes, encoding, force, say))


@app.command()
def build(
    spec: SpecOption = DEFAULT_SPEC,
    out: Annotated[Path, typer.Option("--out", help="Training set to write (Parquet).")] = Path(
        "data/generated/training.parquet"),
    as_of: Annotated[str | None, typer.Option("--as-of", help="Snapshot date for point-in-time labels.")] = None,
    engine: EngineOption = Engine.pandas,
    scheduler: SchedulerOption = None,
) -> None:
    """Build a labelled, leak-checked training set from a dataset spec."""
    from features.build_run import run_build

    run_guarded(lambda: run_build(spec, out, as_of, engine.value, scheduler, say))


@app.command()
def train(
    spec: SpecOption = DEFAULT_SPEC,
    tune_trials: Annotated[int, typer.Option("--tune-trials", min=0, help="Tuning trials per fit.")] = 0,
    tune_minutes: Annotated[float | None, typer.Option("--tune-minutes", min=0,
                                                       help="Time budget for all tuning, in minutes.")] = None,
    register: Annotated[bool, typer.Option("--register", help="Register the model in the MLflow registry.")] = False,
    promote: Annotated[bool, typer.Option("--promote", help="Make it champion if it beats the current one.")] = False,
    model_name: Annotated[str | None, typer.Option(
        "--model-name", help="Registry name (default leadscore-<dataset>).")] = None,
    metrics_out: Annotated[Path | None, typer.Option("--metrics-out", help="Write the metrics as JSON here.")] = None,
    summary_json: Annotated[Path | None, typer.Option(
        "--summary-json", help="Write run id, version, promoted or not and why, and metrics as JSON here.")] = None,
    engine: EngineOption = Engine.pandas,
    scheduler: SchedulerOption = None,
) -> None:
    """Train the model and its baselines, evaluate them honestly, and track the run in MLflow."""
    from training.fit.run import run_train
    from training.fit.train import TrainOptions

    options = TrainOptions(tune_trials=tune_trials, tune_minutes=tune_minutes, register=register or promote,
                           promote=promote, model_name=model_name, metrics_out=metrics_out)
    run_guarded(lambda: run_train(spec, options, engine.value, scheduler, summary_json, say, console))


@app.command()
def score(
    model: Annotated[str, typer.Option("--model", help="models:/NAME@champion, runs:/ID/model or a local folder.")],
    output: Annotated[str, typer.Option("--output", help="Where to write: .csv, .parquet or an SQLAlchemy URL.")],
    input: Annotated[Path | None, typer.Option("--input", help="Leads to score (.csv or .parquet).")] = None,
    sql_url: Annotated[str | None, typer.Option("--sql-url", help="SQLAlchemy URL to read leads from.")] = None,
    sql_query: Annotated[str | None, typer.Option("--sql-query", help="SELECT returning one lead per row.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the reasons: en or zh.")] = "en",
    output_table: Annotated[str | None, typer.Option("--output-table", help="Table to write when --output is a URL.")
                            ] = None,
    output_mode: Annotated[str, typer.Option("--output-mode", help="append or replace the table.")] = "append",
    keep: Annotated[str | None, typer.Option("--keep", help="Input columns to carry through, comma-separated.")
                    ] = None,
    engine: EngineOption = Engine.pandas,
    scheduler: SchedulerOption = None,
    no_log: Annotated[bool, typer.Option("--no-log", help="Do not write the scores to the prediction log.")] = False,
    log_db: Annotated[str | None, typer.Option("--log-db", help="Prediction log URL (default "
                                               "LEADSCORE_PREDICTION_DB or sqlite:///predictions.db).")] = None,
    activities: Annotated[Path | None, typer.Option(
        "--activities", help="The leads' activity events (.csv or .parquet), shaped like the spec's activity table."
    )] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Prediction time of every lead (ISO 8601; default now): activities after it never count.")
    ] = None,
) -> None:
    """Score a batch of leads: probability, score 0-100, band and the top reasons."""
    from training.scoring.run import ScoreOptions, run_score

    options = ScoreOptions(model=model, output=output, input=input, sql_url=sql_url, sql_query=sql_query, lang=lang,
                           output_table=output_table, output_mode=output_mode, keep=keep, engine=engine.value,
                           scheduler=scheduler, no_log=no_log, log_db=log_db, activities=activities, as_of=as_of)
    run_guarded(lambda: run_score(options, say))


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option("--host", help="Address to bind (0.0.0.0: other machines).")] = "127.0.0.1",
    model: Annotated[str | None, typer.Option(
        "--model", help="Model URI (default LEADSCORE_MODEL_URI or models:/leadscore-synthetic@champion).")] = None,
) -> None:
    """Start the prediction service (BentoML) over HTTP."""
    from serving.launch import run_serve

    run_serve(port, host, model, say)


register_loop_commands(app, say, run_guarded)  # outcomes import, monitor, retrain, rules suggest


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
