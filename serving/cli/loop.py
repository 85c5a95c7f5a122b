"""The feedback-loop commands of `leadscore`: outcomes and activities import, monitor, retrain, rules suggest.

Each command turns its options into one call of a stage. Exit codes fit schedulers: 0 fine, 1 a
monitoring threshold was breached, 2 bad input, 3 retrain kept the champion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from serving.cli.main import app, run_guarded, say
from serving.cli.options import TRAIN_DEFAULTS, DbOption, TuneTrialsOption

outcomes_app = typer.Typer(help="Outcomes of scored leads (won or lost).", no_args_is_help=True)
rules_app = typer.Typer(help="The rule table (points).", no_args_is_help=True)
app.add_typer(outcomes_app, name="outcomes")
app.add_typer(rules_app, name="rules")


@outcomes_app.command("import")
def import_(
    input: Annotated[Path | None, typer.Option("--input", help="CSV or Parquet: lead_id, outcome, outcome_at, "
                                               "[first_response_hours, deal_value].")] = None,
    sql_url: Annotated[str | None, typer.Option("--sql-url", help="SQLAlchemy URL to read outcomes from.")] = None,
    sql_query: Annotated[str | None, typer.Option("--sql-query", help="SELECT returning those columns.")] = None,
    db: DbOption = None,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Where rejected rows go (CSV).")] = None,
    won: Annotated[str, typer.Option("--won", help="Outcome values meaning won, comma-separated.")] = "won",
    lost: Annotated[str, typer.Option("--lost", help="Outcome values meaning lost, comma-separated.")] = "lost",
) -> None:
    """Record outcomes beside the prediction log: idempotent, one transaction, bad rows to a rejects file."""
    from training.loop.outcomes import run_outcomes_import

    run_guarded(lambda: run_outcomes_import(db, input, sql_url, sql_query, rejects, won, lost, say))

activities_app = typer.Typer(help="The leads' activity events in the loop's database.", no_args_is_help=True)
app.add_typer(activities_app, name="activities")


@activities_app.command("import")
def import_activities(
    input: Annotated[Path | None, typer.Option("--input", help="CSV or Parquet of activity events.")] = None,
    sql_url: Annotated[str | None, typer.Option("--sql-url", help="SQLAlchemy URL to read them from.")] = None,
    sql_query: Annotated[str | None, typer.Option("--sql-query", help="SELECT returning one event per row.")
                         ] = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="Dataset spec naming the activity columns "
                                              "(default: lead_id, occurred_at, activity_type, channel).")] = None,
    db: DbOption = None,
) -> None:
    """Store activity events beside the prediction log: idempotent, one transaction, bad rows counted."""
    from training.loop.activities import run_activities_import

    run_guarded(lambda: run_activities_import(db, input, sql_url, sql_query, spec, say))


@app.command()
def monitor(
    since: Annotated[str | None, typer.Option("--since", help="Only predictions logged from this date.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Registered model name to monitor.")] = None,
    db: DbOption = None,
    thresholds: Annotated[Path | None, typer.Option("--thresholds", help="Thresholds YAML "
                                                    "(default data/specs/monitor.yaml).")] = None,
    service: Annotated[str | None, typer.Option("--service", help="Service URL: read its log write failures "
                                                "(token from LEADSCORE_API_TOKEN).")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the HTML report here.")] = None,
    service_config: Annotated[Path | None, typer.Option(
        "--service-config", help="The service's config file (default LEADSCORE_SERVICE_CONFIG, the one the "
        "service reads): its actions set the hot deadline, as for the service's follow_up_by.")] = None,
) -> None:
    """How the scores held up: calibration, ROC-AUC, drift, speed to lead, source quality. Exit 1 on a breach."""
    from serving.config import service_actions
    from training.monitor.run import run_monitor

    code = run_guarded(lambda: run_monitor(db, since, model, thresholds, service, html, say,
                                           service_actions(service_config)))
    if code:
        raise typer.Exit(code=code)

@app.command()
def retrain(
    spec: Annotated[Path, typer.Option("--spec", help="Dataset spec of the latest leads.")],
    service: Annotated[str | None, typer.Option("--service", help="Service to reload when promoted.")] = None,
    db: DbOption = None,
    tune_trials: TuneTrialsOption = TRAIN_DEFAULTS.tune_trials,
    model_name: Annotated[str | None, typer.Option("--model-name", help="Registry name.")] = None,
) -> None:
    """Train on the latest leads plus imported outcomes; promote through the gate. Exit 0 promoted, 3 kept."""
    from training.loop.retrain import run_retrain

    raise typer.Exit(code=run_guarded(lambda: run_retrain(spec, db, tune_trials, model_name, service, say)))

@rules_app.command("suggest")
def suggest(
    spec: Annotated[Path, typer.Option("--spec", help="Dataset spec with the outcomes.")],
    rules: Annotated[Path | None, typer.Option("--rules", help="Current rule table (default: the spec's).")] = None,
    write: Annotated[Path | None, typer.Option("--write", help="Save the suggested table here (YAML).")] = None,
) -> None:
    """Fit the points to outcomes; show them beside the current ones with held-out ROC-AUC."""
    from training.rules.fit import run_rules_suggest

    run_guarded(lambda: run_rules_suggest(spec, rules, write, say))
