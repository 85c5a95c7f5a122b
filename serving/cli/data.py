"""Commands that make and read data: `synth` (the embedded default export), `init` (a spec for your own
export) and `build` (the labelled, leak-checked training set)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from serving.cli.main import app, run_guarded, say
from serving.cli.options import DEFAULT_SPEC, Engine, EngineOption, SchedulerOption, SpecOption


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
    source: Annotated[Path | None, typer.Option("--from", help="Leads export (.csv, .parquet or .xlsx).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Spec to write (a display-glossary stub goes beside it).")] = Path(
        "spec.yaml"),
    outcomes: Annotated[Path | None, typer.Option("--outcomes", help="Table of won deals, if separate.")] = None,
    sql_url: Annotated[str | None, typer.Option("--sql-url", help="SQLAlchemy URL to read leads from.")] = None,
    sql_query: Annotated[str | None, typer.Option("--sql-query", help="SELECT returning one lead per row.")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding of the CSV (e.g. latin-1).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing spec.")] = False,
    table: Annotated[list[Path] | None, typer.Option(
        "--table", help="Another table of the export (accounts, products, reps, activities), repeatable: proposed "
                        "as a lookup joined by key or as the activity table.")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="The sheet of the --from workbook (.xlsx) that holds "
                                              "the leads, when several sheets hold values.")] = None,
) -> None:
    """Write a commented dataset spec for your own export: then edit it, build and train."""
    from features.init.write import run_init

    run_guarded(lambda: run_init(out, source, sql_url, sql_query, outcomes, encoding, force, say, table or [],
                                 sheet))


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
