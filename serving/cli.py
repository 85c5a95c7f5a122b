"""The `leadscore` command line: one command per user task.

It lives in `serving` because it is the outermost layer: it reaches every stage. Each command imports
its stage when it runs, so `leadscore --help` stays fast and importing this module has no side effects.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from features.errors import LeadscoreError
from serving.cli_loop import register as register_loop_commands

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


def warn_all(lines: list[str]) -> None:
    for line in lines:
        console.print(f"[bold yellow]warning:[/] {escape(line)}", highlight=False)


def _print_profile(profile: dict) -> None:
    table = Table(title=f"{profile['name']}: {profile['rows']:,} leads, {profile['positive_rate']:.1%} positive")
    for heading in ("column", "original", "type", "missing", "distinct", "1-col AUC"):
        table.add_column(heading, justify="right" if heading in ("missing", "distinct", "1-col AUC") else "left")
    for name, col in profile["columns"].items():
        table.add_row(name, col["original"], col["type"], f"{col['missing_share']:.1%}", f"{col['distinct']:,}",
                      f"{col['single_column_auc']:.3f}")
    console.print(table)


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
                                        "with drift, new_leads.csv and outcomes_import.csv (features/synth_later.py).")
                     ] = False,
) -> None:
    """Write a synthetic CRM export (the embedded default data)."""
    from features.synth import write_export
    from features.synth_later import write_later_export

    if later and variant:
        raise typer.BadParameter("--later and --variant do not combine; choose one")
    folder = run_guarded(lambda: write_later_export(out, leads, seed) if later else write_export(
        out, leads, seed, date_format=date_format, variants=tuple(variant or ())))
    console.print(f"wrote {leads:,} synthetic leads to {folder}/ (leads.csv, outcomes.csv, truth.csv)")


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
    from features.init_write import init_spec
    from features.spec import SqlSource

    def body():
        if (source is None) == (sql_url is None) or (sql_url is not None and not sql_query):
            raise LeadscoreError("give either --from FILE or --sql-url URL with --sql-query QUERY")
        sql = SqlSource(url=sql_url, query=sql_query) if sql_url else None
        return init_spec(out, path=str(source) if source else None, sql=sql,
                         outcomes=str(outcomes) if outcomes else None, encoding=encoding, force=force)

    draft = run_guarded(body)
    console.print(f"wrote {out} and {out.with_name(out.stem + '.display.yaml')}: check the lines marked CHECK or "
                  f"FILL IN, then `leadscore build --spec {out}`", highlight=False)
    warn_all([f"column {c!r} alone separates the outcome at ROC-AUC {auc:.3f}: listed under known_after_contact"
              for c, auc in draft.after_contact])


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
    from features.build import build_training_set, write_training_set
    from features.spec import load_spec
    from features.synth import ensure_export

    def body():
        dataset = load_spec(spec)
        ensure_export(dataset)
        if engine == Engine.dask:
            from training.dask_build import build_on_dask

            return build_on_dask(dataset, out, as_of, scheduler)
        training_set = build_training_set(dataset, as_of=as_of)
        return training_set, write_training_set(training_set, out)

    training_set, (parquet, profile) = run_guarded(body)
    _print_profile(training_set.profile())
    report = training_set.labels
    if report.summary():
        console.print(report.summary(), highlight=False)
    warn_all(training_set.warnings())
    if report.not_yet_known:
        console.print(f"left out {report.not_yet_known:,} leads whose outcome is not yet known "
                      f"(horizon not closed at snapshot {report.snapshot})")
    console.print(f"wrote {parquet} and {profile}")


def _print_metrics(metrics: dict, winner: str | None = None) -> None:
    columns = [("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC"), ("brier", "Brier"), ("log_loss", "log loss"),
               ("ece", "ECE"), ("lift_top10", "lift@10%"), ("capture_top10", "capt@10%"),
               ("lift_top20", "lift@20%"), ("capture_top20", "capt@20%")]
    table = Table(title=f"held-out metrics ({metrics['protocol']}, {metrics['rows_evaluated']:,} leads)")
    table.add_column("model")
    for _, heading in columns:
        table.add_column(heading, justify="right")
    served, kind = metrics["served"], metrics["final_model"]["kind"]
    for name, values in metrics["models"].items():
        mark = "  (beats the served model)" if name == winner else ""
        table.add_row((f"{name} (served: {kind})" if name == served else name) + mark,
                      *(f"{values[key]:.3f}" for key, _ in columns))
    console.print(table)
    if winner:
        models = metrics["models"]
        warn_all([f"{winner} beats the served model on these held-out rows: ROC-AUC "
                  f"{models[winner]['roc_auc']:.4f} vs {models[served]['roc_auc']:.4f}; "
                  "the simpler model may be the better choice here"])
    bands = metrics["models"][served]["bands"]
    console.print(f"{served} conversion by band: " + ", ".join(
        f"{band} {b['conversion_rate']:.1%} of {b['leads']:,}" for band, b in bands.items()))


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
    from rich.progress import Progress

    from features.spec import load_spec
    from training.progress import StepReporter, columns
    from training.publish import train_and_publish
    from training.run_summary import baseline_winner, write_summary
    from training.train import TrainOptions

    options = TrainOptions(tune_trials=tune_trials, tune_minutes=tune_minutes, register=register or promote,
                           promote=promote, model_name=model_name, metrics_out=metrics_out)

    def body():
        dataset = load_spec(spec)
        if dataset.rules is None:
            warn_all(["no rule table in the spec ('rules'): no points-table baseline; the service's rule_score "
                      "comes from points learned from these outcomes"])
        if engine == Engine.dask:
            from training.dask_train import train_on_dask

            return train_on_dask(dataset, options, scheduler)
        with Progress(*columns(), console=console, transient=True) as progress:
            options.reporter = StepReporter(progress)
            return train_and_publish(dataset, options, progress)

    result = run_guarded(body)
    winner = baseline_winner(result.metrics)
    _print_metrics(result.metrics, winner)
    if summary_json:
        write_summary(summary_json, result)
    console.print(f"MLflow tracking URI: {result.tracking_uri}  run id: {result.run_id}")
    console.print(f"model: {result.model_uri}")
    if result.version:
        console.print(f"registered version {result.version}")
    if result.gate_message:
        colour = "green" if result.promoted else "yellow"
        console.print(f"[{colour}]{'promoted to champion' if result.promoted else 'not promoted'}[/]: "
                      f"{result.gate_message}")
    served = result.metrics["served"]
    ours = result.metrics["models"][served]
    console.print(f"summary: {served} ROC-AUC {ours['roc_auc']:.4f}, Brier {ours['brier']:.4f}" + (
        f"; {winner} beats it (ROC-AUC {result.metrics['models'][winner]['roc_auc']:.4f})" if winner else
        f"; {served} is the best model on the held-out rows"), highlight=False)


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
) -> None:
    """Score a batch of leads: probability, score 0-100, band and the top reasons."""
    from functools import partial

    from features.spec import SqlSource
    from serving.batch_log import log_batch
    from serving.cli_loop import database_url
    from training.explain import LANGUAGES
    from training.score import score_source
    from training.score_output import band_mix
    from training.tracking import load_model

    def body():
        if (input is None) == (sql_url is None):
            raise LeadscoreError("give either --input FILE or --sql-url URL with --sql-query QUERY")
        if sql_url is not None and not sql_query:
            raise LeadscoreError("--sql-url needs --sql-query, e.g. --sql-query 'select * from leads'")
        if lang not in LANGUAGES:
            raise LeadscoreError(f"--lang {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
        if engine == Engine.dask and input is None:
            raise LeadscoreError("--engine dask reads files: give --input FILES (a file, a folder or a glob)")
        loaded = load_model(model)
        if engine == Engine.dask:
            from training.dask_score import score_dask
            from training.score import numeric_fields

            if keep:
                raise LeadscoreError("--keep is for the pandas engine; --engine dask writes the scores only")
            logged = None if no_log else partial(log_batch, database_url(log_db), loaded)
            return loaded, *score_dask(loaded, output, str(input), numeric_fields(loaded), lang=lang,
                                       scheduler=scheduler, table=output_table, mode=output_mode, on_scored=logged)
        sql = SqlSource(url=sql_url, query=sql_query) if sql_url else None
        columns = [c.strip() for c in keep.split(",") if c.strip()] if keep else None
        logged = None if no_log else partial(log_batch, database_url(log_db), loaded)
        return loaded, *score_source(loaded, output, path=str(input) if input else None, sql=sql, lang=lang,
                                     keep=columns, table=output_table, mode=output_mode, on_scored=logged)

    loaded, scored, where = run_guarded(body)
    counts = scored["band"].value_counts()
    console.print(f"scored {len(scored):,} leads into {where}: " + ", ".join(
        f"{band} {int(counts.get(band, 0)):,}" for band in ("hot", "warm", "cold")), highlight=False)
    mix, warning = band_mix(scored["band"], loaded.metadata)
    console.print(mix, highlight=False)
    warn_all([warning] if warning else [])


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option("--host", help="Address to bind (0.0.0.0: other machines).")] = "127.0.0.1",
    model: Annotated[str | None, typer.Option(
        "--model", help="Model URI (default LEADSCORE_MODEL_URI or models:/leadscore-synthetic@champion).")] = None,
) -> None:
    """Start the prediction service (BentoML) over HTTP."""
    import os

    env = dict(os.environ)
    if model:
        env["LEADSCORE_MODEL_URI"] = model
    # Bounded registry calls in the service (MLflow's defaults retry for minutes); the model loads in
    # the background anyway, these only bound how long one attempt takes. Set values win.
    for name, value in SERVE_MLFLOW_ENV.items():
        env.setdefault(name, value)
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    command = [bentoml, "serve", "serving.service:LeadScoring", "--host", host, "--port", str(port)]
    console.print(f"serving on http://{host}:{port} (model {env.get('LEADSCORE_MODEL_URI', 'default')})")
    sys.stdout.flush()
    # One process tree: this process becomes the server's supervisor, so SIGTERM to it stops the workers.
    os.execve(bentoml, command, env)


SERVE_MLFLOW_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5"}


register_loop_commands(app, console, run_guarded)  # outcomes import, monitor, retrain, rules suggest


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
