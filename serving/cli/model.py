"""Commands that make and use models: `train` (evaluate, refit, track, register, promote) and `score`
(a batch of leads with reasons, into a file or a table)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from serving.cli.main import app, console, run_guarded, say
from serving.cli.options import (
    DEFAULT_SPEC,
    TRAIN_DEFAULTS,
    Engine,
    EngineOption,
    SchedulerOption,
    SpecOption,
    TuneTrialsOption,
)


@app.command()
def train(
    spec: SpecOption = DEFAULT_SPEC,
    tune_trials: TuneTrialsOption = TRAIN_DEFAULTS.tune_trials,
    tune_minutes: Annotated[float | None, typer.Option("--tune-minutes", min=0,
                                                       help="Time budget for all tuning, in minutes.")] = None,
    register: Annotated[bool, typer.Option("--register", help="Register the model in the MLflow registry.")] = False,
    promote: Annotated[bool, typer.Option("--promote", help="Make it champion if it beats the current one.")] = False,
    allow_no_skill: Annotated[bool, typer.Option(
        "--allow-no-skill", help="Let --promote make a model with no held-out skill champion.")] = False,
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
                           promote=promote, allow_no_skill=allow_no_skill, model_name=model_name,
                           metrics_out=metrics_out)
    result = run_guarded(lambda: run_train(spec, options, engine.value, scheduler, summary_json, say, console))
    if result is not None and result.refused_for_no_skill:
        raise typer.Exit(code=3)  # the champion kept, as `leadscore retrain` says it


@app.command()
def score(
    model: Annotated[str, typer.Option("--model", help="models:/NAME@champion, runs:/ID/model or a local folder.")],
    output: Annotated[str, typer.Option("--output", help="Where to write: .csv, .parquet, .xlsx or an SQLAlchemy "
                                        "URL.")],
    input: Annotated[Path | None, typer.Option("--input", help="Leads to score (.csv, .parquet or .xlsx).")] = None,
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
    questions: Annotated[bool, typer.Option("--questions", help="Add the top questions worth asking (what a rep "
                                            "should find out next, with the score each answer gives).")] = False,
    activities: Annotated[Path | None, typer.Option(
        "--activities", help="The leads' activity events (.csv or .parquet), shaped like the spec's activity table."
    )] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Prediction time of every lead (ISO 8601; default now): activities after it never count.")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="The sheet of the --input workbook (.xlsx) that holds "
                                              "the leads, when several sheets hold values.")] = None,
) -> None:
    """Score a batch of leads: probability, score 0-100, band and the top reasons."""
    from training.scoring.run import ScoreOptions, run_score

    options = ScoreOptions(model=model, output=output, input=input, sql_url=sql_url, sql_query=sql_query, lang=lang,
                           output_table=output_table, output_mode=output_mode, keep=keep, engine=engine.value,
                           scheduler=scheduler, no_log=no_log, log_db=log_db, questions=questions,
                           activities=activities, as_of=as_of, sheet=sheet)
    run_guarded(lambda: run_score(options, say))
