"""`leadscore score` as one call: check the options, load the model, score the leads on this machine or
on a Dask cluster, write them to the prediction log (either engine), and say what was written and how
the band mix compares with training. The CLI only turns its options into `ScoreOptions` and prints the lines."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from features.errors import LeadscoreError
from features.load import source_from_options
from features.messages import Line, Say, say_nothing, warn_all
from training.evaluate.metrics import BANDS
from training.explain.contributions import LANGUAGES
from training.scoring.output import band_mix


@dataclass
class ScoreOptions:
    """The options of `leadscore score` (see its --help)."""

    model: str
    output: str
    input: Path | None = None
    sql_url: str | None = None
    sql_query: str | None = None
    lang: str = "en"
    output_table: str | None = None
    output_mode: str = "append"
    keep: str | None = None  # input columns to carry through, comma-separated
    engine: str = "pandas"  # or "dask"
    scheduler: str | None = None
    no_log: bool = False
    log_db: str | None = None
    questions: bool = False  # add the top questions worth asking (columns questions, questions_json)
    activities: Path | None = None  # the leads' activity events, shaped like the spec's activity table
    as_of: str | None = None  # the prediction time of every lead (default now): engagement as of then
    sheet: str | None = None  # the sheet of an --input workbook holding the leads


def run_score(options: ScoreOptions, say: Say = say_nothing) -> pd.DataFrame:
    """Score a batch of leads where the options say; returns the band of every lead scored."""
    from training.registry.tracking import load_model

    path, sql = source_from_options(options.input, options.sql_url, options.sql_query, explain_query=True)
    if options.lang not in LANGUAGES:
        raise LeadscoreError(f"--lang {options.lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
    if options.engine == "dask" and path is None:
        raise LeadscoreError("--engine dask reads files: give --input FILES (a file, a folder or a glob)")
    loaded = load_model(options.model)
    if options.questions and not loaded.metadata.askable:
        warn_all(say, ["--questions: this model has no askable fields (the spec declares no 'askable', and no rule "
                       "table of it lists a field with its answers), so the questions columns stay empty; declare "
                       "'askable' in the spec (docs/spec.md) and train again"])
    logged = None if options.no_log else _prediction_log(loaded, options.log_db)
    if options.engine == "dask":
        from training.scoring.related import activity_options

        _, as_of, notes = activity_options(loaded, options.activities, options.as_of)
        warn_all(say, notes)
        notes = []
        bands, where = _score_on_dask(loaded, options, logged, as_of, notes)
        warn_all(say, notes)
    else:
        from training.scoring.related import score_inputs

        events, as_of, notes = score_inputs(loaded, options.activities, options.as_of)
        warn_all(say, notes)
        matches: list = []
        bands, where = _score_here(loaded, options, path, sql, logged, events, as_of, matches)
        from training.scoring.related import match_shift

        warn_all(say, match_shift(loaded, matches))
    counts = bands["band"].value_counts()
    say(Line(f"scored {len(bands):,} leads into {where}: " + ", ".join(
        f"{band} {int(counts.get(band, 0)):,}" for band in BANDS), highlight=False))
    mix, warning = band_mix(bands["band"], loaded.metadata)
    say(Line(mix, highlight=False))
    warn_all(say, [warning] if warning else [])
    return bands


def _prediction_log(loaded, log_db: str | None):
    """Writes each scored chunk to the prediction log, as the API does (origin 'batch')."""
    from training.loop.batch_log import log_batch
    from training.loop.store import database_url

    return partial(log_batch, database_url(log_db), loaded)


def _score_on_dask(loaded, options: ScoreOptions, logged, as_of, notes: list[str]) -> tuple[pd.DataFrame, str]:
    from training.scoring.dask import score_dask

    if options.keep:
        raise LeadscoreError("--keep is for the pandas engine; --engine dask writes the scores only")
    return score_dask(loaded, options.output, str(options.input), lang=options.lang,
                      scheduler=options.scheduler, table=options.output_table, mode=options.output_mode,
                      on_scored=logged, questions=options.questions,
                      activities=None if options.activities is None else str(options.activities), as_of=as_of,
                      notes=notes)


def _score_here(loaded, options: ScoreOptions, path: str | None, sql, logged, events=None, as_of=None,
                matches=None) -> tuple[pd.DataFrame, str]:
    from training.scoring.score import score_source

    keep = [c.strip() for c in options.keep.split(",") if c.strip()] if options.keep else None
    return score_source(loaded, options.output, path=path, sql=sql, lang=options.lang, keep=keep,
                        table=options.output_table, mode=options.output_mode, on_scored=logged,
                        questions=options.questions, events=events, as_of=as_of, matches=matches,
                        sheet=options.sheet)
