"""`leadscore score --engine dask --activities FILES`: leads scored with their engagement, on the cluster.

A lead's features need all its events, and neither the leads nor the events fit one worker: both are split
by lead id into buckets on disk (features/dask/activities.py, as the Dask build does), then each bucket is
scored by `score_frame`, the pandas engine's scorer, with its events as of `as_of`. Its answers are written
as one Parquet part, and to the prediction log under keys made from the run and the bucket, so a bucket
that Dask runs twice is logged once. The parts come in bucket order, each row with its lead id.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from features.activity_load import ActivityReport, checked_events
from features.dask.activities import (
    LEAD,
    bucket_count,
    bucket_events,
    bucket_of,
    merged_reports,
    raise_first_error,
    read_bucket,
    read_events,
    write_buckets,
)
from features.errors import LeadscoreError
from features.keys import id_text
from features.relations_spec import ActivitiesSpec
from training.registry.tracking import LoadedModel
from training.scoring.score import numbers_read, score_frame


def _leads_part(part: pd.DataFrame, number: int, model: LoadedModel, folder: Path, buckets: int) -> dict:
    """A leads partition, its numbers read as the model reads them, into its buckets; or the error its rows
    raised (the client counts the rows before it)."""
    facts = {"rows": len(part), "error": None}
    try:
        part = numbers_read(model, part)
    except LeadscoreError as exc:
        facts["error"] = (str(exc), exc.loc)
        return facts
    lead = id_text(part[model.metadata.id_field])
    write_buckets(part.assign(**{LEAD: lead}), bucket_of(lead, buckets), folder, number, buckets)
    return facts


def _score_bucket(k: int, leads_folder: Path, events_folder: Path, out: Path, model: LoadedModel, lang: str,
                  questions: bool, as_of: pd.Timestamp, now: pd.Timestamp, dtypes: dict, on_scored,
                  run: str) -> ActivityReport:
    rows = read_bucket(leads_folder, k)
    events = read_bucket(events_folder, k)
    report = ActivityReport()
    if events is not None:
        events, report = checked_events(events, None, now)
    if rows is None:
        return report
    leads = rows.drop(columns=[LEAD])
    scored = score_frame(model, leads, lang=lang, questions=questions, events=events, as_of=as_of).astype(dtypes)
    scored.to_parquet(out / f"part.{k:06d}.parquet", index=False)
    if on_scored is not None:  # a retried bucket logs under the same keys (a no-op)
        on_scored(leads, scored.rename(columns={scored.columns[0]: "lead_id"}), request_id=f"{run}-{k}")
    return report


def score_with_activities(model: LoadedModel, leads, activities: str, as_of: pd.Timestamp, out: Path,
                          lang: str = "en", questions: bool = False, on_scored=None, run: str = "",
                          source: str = "--input") -> list[str]:
    """Score the leads (a Dask DataFrame) with their events from `activities` into Parquet parts in `out`;
    returns what reading the activities found (warnings), as the pandas engine's reading does."""
    import dask

    context = dict(model.pipeline.steps)["context"]
    id_field = model.metadata.id_field
    if id_field not in leads.columns:
        raise LeadscoreError(f"--activities: the leads have no id column {id_field!r}, which the activities name; "
                             "give leads with their ids")
    columns = {k: v for k, v in dict(context.event_columns or {}).items() if v is not None}
    spec = ActivitiesSpec(path=activities, **columns)
    events = read_events(spec)
    buckets = bucket_count(leads, events)
    meta = score_frame(model, leads.head(1), lang=lang, questions=questions).iloc[:0]
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    folder = Path(tempfile.mkdtemp(prefix="leadscore-buckets-"))
    try:
        facts = dask.compute(*[dask.delayed(_leads_part)(part, i, model, folder / "leads", buckets)
                               for i, part in enumerate(leads.to_delayed())])
        raise_first_error(list(facts), source)
        bucket_events(events, spec, folder / "events", buckets)
        reports = dask.compute(*[dask.delayed(_score_bucket)(
            k, folder / "leads", folder / "events", out, model, lang, questions, as_of, now,
            meta.dtypes.to_dict(), on_scored, run) for k in range(buckets)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return merged_reports(list(reports)).warnings()
