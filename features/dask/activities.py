"""`--engine dask` with an activity table: engagement features point-in-time, on the cluster.

The pandas build (features/relate.py) holds every lead and every event at once. Here neither fits one
worker, so both are split by lead id into buckets on disk, with the same hash on both sides: a lead and all
its events share a bucket, and each bucket goes through the pandas engine's own functions.
1. Each leads partition: its labels, prediction time (creation + `age_days`) and whether it was already
   won then, written to its buckets; with snapshots, a row per snapshot instead (features/snapshots.py),
   each with its own label and prediction time. Each events partition: ids read as the leads' ids are,
   times parsed with one format for the whole table (detected on a sample spread over the partitions: a
   value it does not read stops the build), written to its buckets. Errors name data rows of the whole input.
2. Each bucket: the activity table's checks (empty, future, unknown lead, repeated event), the events each
   row knows at its prediction time, and the types of those events counted.
3. On the client: the types kept as features (`LeadContext.fit_types` on the summed counts), what
   `LeadContext.fit` learns from one table.
4. Each bucket: `LeadContext.engagement`, the fitted step the model carries, makes the features.
"""

from __future__ import annotations

import shutil
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from features.activity_load import ActivityReport, checked_events, parsed_events, zone_examples, zones_question
from features.context import LeadContext, LeadsAt
from features.dates import detect_format, parse_dates
from features.errors import LeadscoreError
from features.keys import id_text
from features.load import require_columns
from features.messages import counted_from, first_rows, rows_counted_from
from features.relate import prediction_times, won_by
from features.snapshots import table_snapshots
from features.spec import DatasetSpec

LEAD, LABEL, KNOWN, AS_OF, DECIDED = "__lead__", "__label__", "__known__", "__as_of__", "__decided__"
MARKS = (LEAD, LABEL, KNOWN, AS_OF, DECIDED)  # bookkeeping columns: never features
DATE_SAMPLE = 100_000
SAMPLED_PARTS = 16


def bucket_of(ids: pd.Series, buckets: int) -> np.ndarray:
    """Each id's bucket: a fixed hash of its text, the same in every process."""
    hashed = pd.util.hash_pandas_object(ids.reset_index(drop=True), index=False).to_numpy()
    return (hashed % np.uint64(buckets)).astype(np.int64)


def write_buckets(frame: pd.DataFrame, bucket: np.ndarray, folder: Path, number: int, buckets: int) -> None:
    """A partition's rows into folder/<bucket>/part-<number>.parquet, in their order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    order = np.argsort(bucket, kind="stable")
    table = pa.Table.from_pandas(frame.iloc[order], preserve_index=False)
    edges = np.searchsorted(bucket[order], np.arange(buckets + 1))
    for k in np.flatnonzero(np.diff(edges)):
        (folder / str(k)).mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(edges[k], edges[k + 1] - edges[k]), folder / str(k) / f"part-{number:06d}.parquet")


def read_bucket(folder: Path, k: int) -> pd.DataFrame | None:
    """A bucket's rows in partition order; None when no partition had any."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((folder / str(k)).glob("part-*.parquet"))
    if not files:
        return None
    # Permissive: a partition whose text column is empty throughout may have written it as nulls.
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive").to_pandas()


def _leads_part(part: pd.DataFrame, number: int, plan, labels_of, first: pd.Series | None, folder: Path,
                buckets: int) -> int:
    """Step 1 for a leads partition; returns how many leads were already won at their prediction time."""
    spec, offset = plan.spec, plan.offsets[number]
    lead = id_text(part[spec.leads.id])
    if plan.snapshots is not None:  # a row per snapshot while the lead is open: never decided at its time
        rows = rows_counted_from(offset, lambda: table_snapshots(spec, part, lead, part[spec.leads.created_at],
                                                                 plan.wins, plan.snapshot, plan.source, None))
        part, lead = part.iloc[rows.position], lead.iloc[rows.position]
        labels, known, as_of = rows.label, rows.known, rows.at
        decided = np.zeros(len(part), dtype=bool)
    else:
        labels, known = labels_of(part, plan, offset)
        as_of = prediction_times(spec, part[spec.leads.created_at], plan.source)
        decided = won_by(lead, as_of, spec, first)
    marked = part.assign(**{LEAD: lead.array, LABEL: np.asarray(labels),
                            KNOWN: True if known is None else np.asarray(known), AS_OF: as_of, DECIDED: decided})
    write_buckets(marked, bucket_of(lead, buckets), folder, number, buckets)
    return int(decided.sum())


def _events_part(part: pd.DataFrame, number: int, spec, source: str, folder: Path, buckets: int) -> dict:
    """Step 1 for an events partition. Its facts: rows, the first time with a zone and the first without
    (a mix across partitions is the same question as within one), or the error its rows raised (the
    client adds the rows before it)."""
    facts: dict = {"rows": len(part), "error": None, "zoned": None, "bare": None}
    try:
        lead = id_text(part[spec.lead_id]).str.strip()
        if spec.timezone is None and not pd.api.types.is_datetime64_any_dtype(part[spec.at]):
            facts["zoned"], facts["bare"] = zone_examples(part[spec.at].astype("string").str.strip())
        events = parsed_events(part, spec, source, lead)
    except LeadscoreError as exc:
        facts["error"] = (str(exc), exc.loc)
        return facts
    write_buckets(events, bucket_of(events["lead"], buckets), folder, number, buckets)
    return facts


def _known_events(k: int, leads_folder: Path, events_folder: Path, out: Path, context: LeadContext,
                  now: pd.Timestamp) -> tuple[ActivityReport, pd.Series]:
    """Step 2 for a bucket: its events checked and cut to those some row knows (written to `out`), what
    was left out, and the types of the events known to rows that become training rows."""
    rows = read_bucket(leads_folder, k)
    events = read_bucket(events_folder, k)
    if events is None:
        return ActivityReport(), pd.Series(dtype="int64")
    ids = rows[LEAD] if rows is not None else pd.Series([], dtype="string")
    events, report = checked_events(events, ids, now)
    if rows is None or events.empty:
        return report, pd.Series(dtype="int64")
    as_of = rows[AS_OF].to_numpy(dtype="datetime64[ns]")
    ages = context.event_ages(LeadsAt(rows, events, as_of, LEAD))
    report.after_prediction_time = int(np.sum(ages < 0))
    events = events[ages >= 0].reset_index(drop=True)
    events.to_parquet(out / f"{k}.parquet", index=False)
    open_rows = ~rows[DECIDED].to_numpy()
    kept_ages = context.event_ages(LeadsAt(rows[open_rows], events, as_of[open_rows], LEAD))
    return report, events["type"][kept_ages >= 0].value_counts()


def _engaged_rows(k: int, leads_folder: Path, events_folder: Path, out: Path, context: LeadContext) -> None:
    """Step 4 for a bucket: its leads with their engagement features, written to out/<bucket>.parquet."""
    rows = read_bucket(leads_folder, k)
    path = events_folder / f"{k}.parquet"
    events = pd.read_parquet(path) if path.exists() else None
    engagement = context.engagement(LeadsAt(rows, events, rows[AS_OF].to_numpy(dtype="datetime64[ns]"), LEAD))
    pd.concat([rows, engagement.set_axis(rows.index)], axis=1).to_parquet(out / f"{k}.parquet", index=False)


def merged_reports(reports: list[ActivityReport]) -> ActivityReport:
    """What reading found in every bucket, added up (the first examples kept)."""
    merged = ActivityReport()
    for item in fields(ActivityReport):
        values = [getattr(r, item.name) for r in reports]
        setattr(merged, item.name, sum(values, [])[:5] if item.name.endswith("_examples")
                else sum(values))
    return merged


def _event_format(events, spec, source: str) -> str | None:
    """The times' format: the spec's, else the one a sample proves, as the pandas engine's detector does (a
    proof missing makes it a question; a later value it does not read stops the build naming its row). The
    sample is the first rows of up to SAMPLED_PARTS partitions spread over the table, not a pass over all of
    it: an export sorted by time then shows days past the 12th even when its first block has none."""
    if spec.date_format or pd.api.types.is_datetime64_any_dtype(events._meta[spec.at].dtype):
        return spec.date_format
    import dask

    picked = np.unique(np.linspace(0, events.npartitions - 1, min(SAMPLED_PARTS, events.npartitions)).astype(int))
    each = DATE_SAMPLE // len(picked)
    columns = [spec.lead_id, spec.at]
    heads = dask.compute(*[events.get_partition(int(i))[columns].head(each, compute=False) for i in picked])
    head = pd.concat(heads, ignore_index=True)
    text = head[spec.at].astype("string").str.strip()
    reading = detect_format(text)
    if reading.fmt is None:  # the pandas engine's own question: the example, both readings, the key to set
        parse_dates(head[spec.at], None, source, spec.at, "activities.date_format", head[spec.lead_id])
    return reading.fmt


def _check_events_read(facts: list[dict], spec, source: str) -> None:
    """The zones question first (a time the format does not read may be one with a zone), then the first
    partition's error, its rows counted from the start of the table."""
    if sum(f["rows"] for f in facts) == 0:
        raise LeadscoreError(f"{source}: the activities table has no rows; point the spec at the full export")
    offsets = first_rows(f["rows"] for f in facts)
    found = {key: next(((row + offset, value) for f, offset in zip(facts, offsets, strict=True)
                        if f[key] is not None for row, value in [f[key]]), None) for key in ("zoned", "bare")}
    zones_question(found["zoned"], found["bare"], spec, source)
    raise_first_error(facts)


def raise_first_error(facts: list[dict], source: str | None = None) -> None:
    """The first partition's error (facts: each partition's `rows` and `error`, (message, loc) or None),
    its data rows counted from the start of the input; `source` named first when the message does not."""
    offset = 0
    for fact in facts:
        if fact["error"] is not None:
            message, loc = fact["error"]
            raise counted_from(offset, LeadscoreError(message, loc=loc), source)
        offset += fact["rows"]


def read_events(spec, blocksize: str = "64MB"):
    """The activity table as a Dask DataFrame of its needed columns (ids read as the leads' are)."""
    from features.dask.read import read_frame

    source = spec.describe()
    events = read_frame(spec.path, spec.encoding, blocksize)
    needed = [spec.lead_id, spec.at, spec.type] + [c for c in (spec.channel, spec.value) if c]
    require_columns(events._meta, needed, source, "activities.lead_id / .at / .type / .channel / .value")
    return events[[c for c in needed if c != spec.value]]


def bucket_events(events, spec, folder: Path, buckets: int) -> None:
    """Step 1 for the events: every partition's times parsed and its events written to their buckets;
    a question or error of any partition raised here, its rows counted from the start of the table."""
    import dask

    source = spec.describe()
    spec = spec.model_copy(update={"date_format": _event_format(events, spec, source)})
    facts = dask.compute(*[dask.delayed(_events_part)(part, i, spec, source, folder, buckets)
                           for i, part in enumerate(events.to_delayed())])
    _check_events_read(list(facts), spec, source)


def check_dask_activities(spec: DatasetSpec) -> None:
    """Before any cluster is reached: what the Dask engine does not do with activities yet."""
    act = spec.activities
    if not spec.leads.created_at:
        raise LeadscoreError(f"{spec.leads.describe()}: activity features need each lead's creation time for its "
                             "prediction time; set 'leads.created_at' in the spec")
    if act.path is None:
        raise LeadscoreError(f"{act.describe()}: --engine dask reads files; set 'activities.path' to a CSV or "
                             "Parquet file, a folder or a glob (or use the pandas engine)")


def bucket_count(leads, events) -> int:
    """Buckets enough that one holds the events of about two partitions of the table (CSV blocks of 64 MB
    hold about a million events), and at least one per leads partition."""
    return max(leads.npartitions, events.npartitions // 2, 1)


def bucket_leads(leads, plan, labels_of, folder: Path, buckets: int, first: pd.Series | None) -> int:
    """Step 1 for the leads (a Dask DataFrame): every partition into its buckets; returns how many leads
    were already won at their prediction time. After this the leads are read from the buckets: the caller
    lets its persisted partitions go."""
    import dask

    # Once in the graph, not once per task: the plan holds every won lead's first win.
    plan, first = dask.delayed(plan, traverse=False), dask.delayed(first, traverse=False)
    return int(sum(dask.compute(*[dask.delayed(_leads_part)(part, i, plan, labels_of, first, folder / "leads",
                                                             buckets) for i, part in enumerate(leads.to_delayed())])))


def engaged_leads(events, spec: DatasetSpec, context: LeadContext, folder: Path, buckets: int, decided: int,
                  columns: list[str]):
    """Steps 1 (events) to 4: a Dask DataFrame of the bucketed leads with their engagement features and their
    label, known and decided marks, read from Parquet files in `folder` (which must stay until the caller
    has computed what it needs from them); and what reading the activities found. `context` is fitted here;
    `columns`: the leads' columns, which no engagement feature may be named like."""
    import dask
    import dask.dataframe as dd

    act = spec.activities
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    leads_folder, raw_folder, known_folder = folder / "leads", folder / "events", folder / "known"
    engaged_folder = folder / "engaged"
    known_folder.mkdir(parents=True)
    engaged_folder.mkdir()
    bucket_events(events, act, raw_folder, buckets)
    counted = dask.compute(*[dask.delayed(_known_events)(k, leads_folder, raw_folder, known_folder, context, now)
                             for k in range(buckets)])
    shutil.rmtree(raw_folder, ignore_errors=True)
    report = merged_reports([r for r, _ in counted])
    report.won_before_prediction_time = decided
    counts = pd.concat([c for _, c in counted]).groupby(level=0).sum()
    context.fit_types(counts.astype("int64"))
    clash = [c for c in context.engagement_columns_ if c in columns]
    if clash:
        raise LeadscoreError(f"{spec.leads.describe()}: the engagement feature {clash[0]!r} has the name of a "
                             "leads column; rename that activity type in the activity table or the column in "
                             "the leads")
    nonempty = [k for k in range(buckets) if (leads_folder / str(k)).exists()]
    if not nonempty:  # the workers wrote their buckets somewhere this machine does not see
        raise LeadscoreError(f"{folder}: the Dask workers' bucket files are not in this folder; with --scheduler, "
                             "point TMPDIR on this machine and the workers at one shared folder")
    # Written to disk, not kept in memory: the training rows made from them are what the workers keep.
    dask.compute(*[dask.delayed(_engaged_rows)(k, leads_folder, known_folder, engaged_folder, context)
                   for k in nonempty])
    shutil.rmtree(leads_folder, ignore_errors=True)
    return dd.read_parquet([str(engaged_folder / f"{k}.parquet") for k in nonempty]), report
