"""The feedback-loop commands of `leadscore`: outcomes import, monitor, retrain, rules suggest.

Registered on the main app by serving/cli.py (`register`), which passes its console and error guard,
so this module never imports cli.py. Exit codes fit schedulers: 0 fine, 1 a monitoring threshold was
breached, 2 bad input, 3 retrain kept the champion.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from features.errors import LeadscoreError

DEFAULT_DB = "sqlite:///predictions.db"
DbOption = Annotated[str | None, typer.Option(
    "--db", help="SQLAlchemy URL of the prediction log (default LEADSCORE_PREDICTION_DB or sqlite:///predictions.db).")]


def database_url(db: str | None) -> str:
    return db or os.environ.get("LEADSCORE_PREDICTION_DB") or DEFAULT_DB


def register(app: typer.Typer, console, run_guarded) -> None:
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
        from features.outcomes import import_outcomes
        from features.spec import SqlSource

        def body():
            if (input is None) == (sql_url is None) or (sql_url is not None and not sql_query):
                raise LeadscoreError("give either --input FILE or --sql-url URL with --sql-query QUERY")
            sql = SqlSource(url=sql_url, query=sql_query) if sql_url else None
            return import_outcomes(database_url(db), str(input) if input else None, sql, rejects,
                                   tuple(won.split(",")), tuple(lost.split(",")))

        report = run_guarded(body)
        console.print(f"{report.rows:,} rows: {report.inserted:,} new, {report.updated:,} updated, "
                      f"{report.unchanged:,} unchanged, {sum(report.rejected.values()):,} rejected")
        for reason, count in report.rejected.items():
            console.print(f"  [yellow]rejected {count:,}[/]: {reason} (e.g. {', '.join(report.examples[reason])})")
        if report.rejects_file:
            console.print(f"rejected rows with their reason: {report.rejects_file}")

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
    ) -> None:
        """How the scores held up: calibration, ROC-AUC, drift, speed to lead, source quality. Exit 1 on a breach."""
        from training.monitor_run import run_monitoring

        done = run_guarded(lambda: run_monitoring(database_url(db), since, model, thresholds, service, html))
        _print_monitor(console, done.result)
        console.print(f"report logged to MLflow run {done.run_id}")
        if done.result.breaches:
            console.print(f"[bold red]{len(done.result.breaches)} threshold(s) breached[/]")
            raise typer.Exit(code=1)

    @app.command()
    def retrain(
        spec: Annotated[Path, typer.Option("--spec", help="Dataset spec of the latest leads.")],
        service: Annotated[str | None, typer.Option("--service", help="Service to reload when promoted.")] = None,
        db: DbOption = None,
        tune_trials: Annotated[int, typer.Option("--tune-trials", min=0, help="Tuning trials per fit.")] = 15,
        model_name: Annotated[str | None, typer.Option("--model-name", help="Registry name.")] = None,
    ) -> None:
        """Train on the latest leads plus imported outcomes; promote through the gate. Exit 0 promoted, 3 kept."""
        from features.spec import load_spec
        from training.retrain import retrain as run_retrain
        from training.service_client import reload_service
        from training.train import TrainOptions

        options = TrainOptions(tune_trials=tune_trials, model_name=model_name)
        outcome = run_guarded(lambda: run_retrain(load_spec(spec), database_url(db), options))
        _print_retrain(console, outcome)
        if outcome.result.promoted and service:
            answer = run_guarded(lambda: reload_service(service))
            console.print(f"service {service} reloaded: now version {answer.get('version')}")
        raise typer.Exit(code=outcome.exit_code)

    @rules_app.command("suggest")
    def suggest(
        spec: Annotated[Path, typer.Option("--spec", help="Dataset spec with the outcomes.")],
        rules: Annotated[Path | None, typer.Option("--rules", help="Current rule table (default: the spec's).")] = None,
        write: Annotated[Path | None, typer.Option("--write", help="Save the suggested table here (YAML).")] = None,
    ) -> None:
        """Fit the points to outcomes; show them beside the current ones with held-out ROC-AUC."""
        from training.rules_fit import suggest_for_spec, write_table

        suggested, current, auc = run_guarded(lambda: suggest_for_spec(spec, rules))
        _print_rules(console, current, suggested, auc)
        if write:
            write_table(suggested, write)
            console.print(f"wrote {write}; serve it with LEADSCORE_RULES={write}")


def _print_monitor(console, result) -> None:
    s = result.sections
    console.print(f"[bold]{result.model_name}[/]: {result.rows:,} logged answers, "
                  f"{result.matured:,} leads with outcomes")
    table = Table(title="calibration: realised vs predicted conversion per band")
    for heading in ("month", "band", "leads", "predicted", "realised"):
        table.add_column(heading, justify="left" if heading in ("month", "band") else "right")
    for row in s["calibration"]:
        table.add_row(row["month"], row["band"], f"{row['leads']:,}", f"{row['predicted']:.1%}",
                      f"{row['realised']:.1%}")
    console.print(table)
    console.print(f"ROC-AUC on matured leads: model {s['auc']['model']:.3f}, rule score {s['auc']['rules']:.3f}")
    drift = s["drift"]
    top = sorted(drift["psi"].items(), key=lambda kv: -kv[1])[:8]
    console.print("PSI (highest): " + ", ".join(f"{k} {v:.3f}" for k, v in top))
    console.print("band mix served/training: " + ", ".join(
        f"{b} {v['served']:.1%}/{v['training']:.1%}" for b, v in drift["band_mix"].items())
        + f"; rules answered {drift['rules_share']:.1%}")
    speed = s["speed_to_lead"]
    if "lost_conversions" in speed:
        console.print(f"speed to lead: hot leads answered within {speed['fast_hours']:g} h converted "
                      f"{speed['fast_rate']:.1%}, later {speed['slow_rate']:.1%}: about "
                      f"{speed['lost_conversions']:.0f} conversions lost to slow follow-up of "
                      f"{speed['hot_slow']:,} hot leads")
    sources = Table(title="source quality")
    for heading in ("source", "leads", "hot share", "predicted", "matured", "realised"):
        sources.add_column(heading, justify="left" if heading == "source" else "right")
    for row in s["source_quality"]:
        sources.add_row(str(row["source"]), f"{row['leads']:,}", f"{row['hot_share']:.1%}", f"{row['predicted']:.1%}",
                        f"{row['matured']:,}", f"{row['realised']:.1%}")
    console.print(sources)
    if s["write_failures"] is not None:
        console.print(f"prediction-log write failures: {s['write_failures']}")
    for breach in result.breaches:
        console.print(f"[red]breach[/]: {breach}")


def _print_retrain(console, outcome) -> None:
    result, before = outcome.result, outcome.before
    new = result.metrics["models"][result.metrics["served"]]
    profile = result.training_set.profile()
    console.print(f"imported wins used: {outcome.imported_wins:,}")
    console.print(f"window: {before.window if before else '-'} -> {profile['data_window']}")
    console.print(f"rows: {f'{before.rows:,}' if before and before.rows else '-'} -> {profile['rows']:,}")
    if before:
        console.print(f"ROC-AUC {before.metrics.get('roc_auc', float('nan')):.4f} -> {new['roc_auc']:.4f}, "
                      f"Brier {before.metrics.get('brier', float('nan')):.4f} -> {new['brier']:.4f}")
    colour = "green" if result.promoted else "yellow"
    console.print(f"[{colour}]{'promoted' if result.promoted else 'champion kept'}[/] (version {result.version}): "
                  f"{result.gate_message}")


def _print_rules(console, current, suggested, auc) -> None:
    table = Table(title=f"points: current vs fitted to outcomes (held-out ROC-AUC on {auc['held_out']:,} leads: "
                        f"current {auc['current']:.3f}, suggested {auc['suggested']:.3f})")
    for heading in ("field", "value", "current", "suggested"):
        table.add_column(heading, justify="right" if heading in ("current", "suggested") else "left")
    for old, new in zip(current.rules, suggested.rules, strict=True):
        if old.points:
            for key in old.points:
                table.add_row(old.field, key, f"{old.points[key]:g}", f"{new.points[key]:g}")
        for a, b in zip(old.ranges, new.ranges, strict=True):
            table.add_row(old.field, f"[{a.min}, {a.max})", f"{a.points:g}", f"{b.points:g}")
    console.print(table)
