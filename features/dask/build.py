"""`leadscore build --engine dask`: the pandas build, run on every partition of a Dask DataFrame.

Nothing is implemented twice: each partition goes through the same functions as features/build.py
(placeholders, dates, point-in-time labels, feature columns). What needs the whole table is computed
once, then handed to every partition:
- the won-deals table is small: it is read on the client, reduced to each lead's first win and sent to
  every partition (broadcast); which outcomes match no lead is an OR over the partitions;
- the snapshot date, empty columns, distinct outcome values, row counts: per-partition aggregates;
- duplicate ids: Dask's value_counts over all partitions;
- the date format: detected on a sample of at most 100,000 values (the pandas engine's own detector
  samples as many); a later value the format does not read stops the build naming its row;
- personal-data check: on the first partition (the pandas engine looks at the first 500 values);
- leak guard: exact, the same function on one column at a time gathered to the client with the labels
  (a number is 8 bytes a row), so its figures equal the pandas engine's;
- profile: missing shares, distinct counts and the date window are Dask aggregates (exact);
- lookup tables are small: read on the client, joined on every partition by the LeadContext the model
  carries; their match counts are summed over the partitions.
Row numbers in error messages count from the start of the whole input, as on one machine.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import TrainingSet, check_declared, check_glossary, check_personal_data, feature_frame
from features.checks import check_enough, check_not_future
from features.context import LeadContext, LeadsAt
from features.dask.activities import (
    AS_OF,
    DECIDED,
    KNOWN,
    LABEL,
    MARKS,
    bucket_count,
    bucket_leads,
    check_dask_activities,
    engaged_leads,
    read_events,
)
from features.dask.read import read_frame
from features.dates import detect_format, parse_dates
from features.errors import LeadscoreError
from features.keys import id_text
from features.labels import (
    LabelReport,
    as_key,
    first_wins,
    label_leads,
    labels_from_column,
    outcome_open,
    read_wins,
    report_unmatched,
    require_horizon,
    snapshot_of,
)
from features.leakage import ColumnStrength, assign_folds, check_leaks, leak_warnings, single_column_auc
from features.load import blank_placeholders, require_columns
from features.lookups import EXAMPLES, MatchReport, read_lookups
from features.messages import first_rows, rows_counted_from, shown
from features.relate import Relation, context_for, first_win_times
from features.snapshots import SnapshotReport, check_row_count, row_counts, summed_report, table_snapshots
from features.spec import DatasetSpec

log = logging.getLogger(__name__)
DATE_SAMPLE = 100_000
# Snapshot rows the cluster makes at most (the pandas engine's limit is one machine's memory): past this the
# rows' lead columns, repeated per snapshot, take more disk and memory than a few workers hold.
SNAPSHOT_ROWS = 200_000_000


@dataclass
class DaskTrainingSet(TrainingSet):
    """A TrainingSet whose frame is a (persisted) Dask DataFrame; the profile's figures come from the cluster."""

    stats: dict = field(default_factory=dict)

    def frame_stats(self) -> dict:
        return self.stats

    def write_frame(self, path: Path) -> None:
        """One Parquet file, written a partition at a time: the client holds one partition, not the table."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = None
        try:
            for part in self.frame.to_delayed():
                table = pa.Table.from_pandas(part.compute(), preserve_index=False)
                writer = writer or pq.ParquetWriter(path, table.schema)
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer:
                writer.close()


def _per_part(function, frame, *args) -> list:
    """function(partition, number, *args) on every partition; the small results come back in order."""
    import dask

    return list(dask.compute(*[dask.delayed(function)(part, i, *args) for i, part in enumerate(frame.to_delayed())]))


def _facts(part: pd.DataFrame, number: int, id_column: str) -> dict:
    return {"rows": len(part), "null_id": int(part[id_column].isna().to_numpy().argmax())
            if part[id_column].isna().any() else None, "filled": part.notna().sum().to_dict()}


def _parse_part(part: pd.DataFrame, column: str, fmt: str | None, source: str, id_column: str,
                offsets: list[int], future_ok: bool = False, partition_info: dict | None = None) -> pd.DataFrame:
    offset = offsets[partition_info["number"]] if partition_info else 0
    ids = part[id_column]
    parsed = rows_counted_from(offset, lambda: parse_dates(part[column], fmt, source, column, "leads.date_format", ids))
    if not future_ok:
        rows_counted_from(offset, lambda: check_not_future(parsed, ids, source, column))
    return part.assign(**{column: parsed})


def _date_format(leads, column: str, rows: int, source: str, id_column: str) -> str | None:
    """The declared format, or the one a sample of the values proves; an unprovable order is a question."""
    if pd.api.types.is_datetime64_any_dtype(leads[column].dtype):
        return None
    sample = leads[[id_column, column]]
    if rows > DATE_SAMPLE:
        sample = sample.sample(frac=DATE_SAMPLE / rows, random_state=0)
    sample = sample.compute()
    text = sample[column].astype("string").str.strip()
    reading = detect_format(text)
    if reading.fmt is None:  # the pandas engine's own message: the example and both readings, the key to set
        parse_dates(sample[column], None, source, column, "leads.date_format", sample[id_column])
    return reading.fmt


def _matched(part: pd.DataFrame, number: int, id_column: str, won_ids: pd.Series) -> np.ndarray:
    return won_ids.isin(set(part[id_column].astype("string"))).to_numpy()


def _label_counts(part: pd.DataFrame, number: int, id_column: str, created: str, wins, snapshot, horizon) -> dict:
    return label_leads(part[id_column], part[created], wins, snapshot, horizon)[2]


def _outcome_keys(part: pd.DataFrame, number: int, column: str) -> set:
    return set(part[column].dropna().map(as_key).unique())


@dataclass
class _Plan:
    """What every partition needs to turn its leads into training rows."""

    spec: DatasetSpec
    source: str
    reserved: set[str]
    empty: list[str]
    offsets: list[int]
    outcome: object  # the outcome spec, with the negative values made explicit for the column case
    wins: pd.Series | None = None
    won: set | None = None
    snapshot: object = None
    snapshots: object = None  # the spec's `activities.prediction` when each lead has a row per snapshot


def _training_part(part: pd.DataFrame, plan: _Plan, partition_info: dict | None = None) -> pd.DataFrame:
    """One partition of the training set: the pandas build's steps on its rows. Rows that went through the
    activity buckets (features/dask/activities.py) carry their label and whether it is known already."""
    leads_spec = plan.spec.leads
    ids = part[leads_spec.id]
    created = part[leads_spec.created_at] if leads_spec.created_at else None
    if LABEL in part.columns:
        labels, known = part[LABEL], part[KNOWN] & ~part[DECIDED]
    else:
        labels, known = labels_of(part, plan, plan.offsets[partition_info["number"]] if partition_info else 0)
    features, _ = feature_frame(part, plan.spec, plan.reserved, plan.empty)
    parts = {"lead_id": ids.astype("string")}
    if created is not None:
        parts["created_at"] = created
    if plan.snapshots is not None:  # as the pandas build: the evaluation splits by them
        parts["snapshot_at"] = part[AS_OF]
        parts["horizon_end"] = part[AS_OF] + pd.Timedelta(days=plan.snapshots.horizon_days)
    parts["label"] = labels
    frame = pd.concat([pd.DataFrame(parts, index=part.index), features], axis=1)
    return frame[known.to_numpy()] if known is not None else frame


def labels_of(part: pd.DataFrame, plan: _Plan, offset: int) -> tuple[pd.Series, pd.Series | None]:
    """The labels of a partition's leads and which are known (None: all); `offset` its first data row."""
    ids = part[plan.spec.leads.id]
    created = part[plan.spec.leads.created_at] if plan.spec.leads.created_at else None
    known = None
    if plan.outcome.is_table and plan.wins is not None:
        labels, known, _ = label_leads(ids, created, plan.wins, plan.snapshot, plan.outcome.horizon_days)
    elif plan.outcome.is_table:  # no dates: won when it appears in the table at all
        labels = ids.astype("string").isin(plan.won).astype("int8")
    else:
        labels = rows_counted_from(offset, lambda: labels_from_column(part, ids, plan.outcome, plan.source))
        if plan.outcome.open:  # open leads are never labels
            known = ~outcome_open(part[plan.outcome.column], plan.outcome)
    return labels, known


def _check_unique(leads, id_column: str, source: str, offsets: list[int]) -> None:
    counts = leads[id_column].value_counts()
    duplicated = counts[counts > 1].compute()
    if len(duplicated):
        value = duplicated.index[0]
        rows = [r for i, found in enumerate(_per_part(
            lambda p, n: (np.flatnonzero((p[id_column] == value).to_numpy()) + offsets[n] + 1).tolist(), leads))
            for r in found][:2]
        raise LeadscoreError(
            f"{source}: lead id {shown(value)} in column {id_column!r} appears more than once "
            f"(data rows {rows[0]} and {rows[1]}); each lead must appear once")


def _outcome_for_parts(leads, spec: DatasetSpec, source: str):
    """Without declared negatives the pandas engine accepts exactly one other value: find it over all rows."""
    outcome = spec.outcome
    if outcome.is_table or outcome.negative is not None:
        return outcome
    require_columns(leads._meta, [outcome.column], source, "outcome.column")
    keys = set().union(*_per_part(_outcome_keys, leads, outcome.column))
    others = sorted(keys - {as_key(v) for v in outcome.positive} - {as_key(v) for v in outcome.open})
    if len(others) > 1:
        raise LeadscoreError(f"{source}: outcome column {outcome.column!r} holds more than one value besides "
                             f"'outcome.positive' ({', '.join(map(shown, others[:10]))}); list the ones that mean "
                             "lost under 'outcome.negative'")
    return outcome.model_copy(update={"negative": others})


def _labels_plan(plan: _Plan, leads, as_of) -> LabelReport:
    """Broadcast what labels need (first wins, snapshot) into the plan; the report sums the partitions."""
    outcome, leads_spec, report = plan.spec.outcome, plan.spec.leads, LabelReport()
    if not outcome.is_table:
        return report
    won_ids, won_at = read_wins(outcome)
    matched = pd.Series(np.logical_or.reduce(_per_part(_matched, leads, leads_spec.id, won_ids)), index=won_ids.index)
    report_unmatched(report, won_ids, matched, outcome.describe())
    if won_at is None or not leads_spec.created_at:
        plan.won = set(won_ids[matched])
        return report
    if plan.snapshots is None:  # snapshot rows have their own horizon (activities.prediction.horizon_days)
        require_horizon(outcome)
    latest = leads[leads_spec.created_at].max().compute()
    plan.snapshot = snapshot_of(report, outcome, pd.Timestamp(as_of) if as_of else None, latest, won_at.max())
    report.wins_after_snapshot = int((won_at > plan.snapshot).sum())
    plan.wins = first_wins(won_ids, won_at, matched, plan.snapshot)
    # Snapshot rows are labelled by a horizon after each snapshot, not after creation (features/snapshots.py).
    counts = _per_part(_label_counts, leads, leads_spec.id, leads_spec.created_at, plan.wins, plan.snapshot,
                       None if plan.snapshots is not None else outcome.horizon_days)
    for key in counts[0]:
        setattr(report, key, sum(c[key] for c in counts))
    return report


def _snapshot_counts(part: pd.DataFrame, number: int, plan: _Plan) -> dict:
    leads_spec = plan.spec.leads
    return row_counts(table_snapshots(plan.spec, part, part[leads_spec.id], part[leads_spec.created_at], plan.wins,
                                      plan.snapshot, plan.source, None), len(part))


def _snapshot_report(plan: _Plan, leads, report: LabelReport) -> SnapshotReport:
    """The profile's snapshot counts summed over the partitions, before any row is made: too many rows is
    the pandas engine's question, at the cluster's limit."""
    counted = summed_report(_per_part(_snapshot_counts, leads, plan), plan.snapshots)
    check_row_count(counted.rows + counted.rows_not_yet_known, SNAPSHOT_ROWS)
    report.not_yet_known = counted.rows_not_yet_known
    return counted


def _stats(frame, features: list[str], y: np.ndarray) -> dict:
    import dask

    window = [frame["created_at"].min(), frame["created_at"].max()] if "created_at" in frame.columns else []
    missing = {c: frame[c].isna().mean() for c in features}
    distinct = {c: frame[c].nunique(dropna=True) for c in features}
    window, missing, distinct = dask.compute(window, missing, distinct)
    return {"rows": int(len(y)), "positives": int(y.sum()), "window": [str(v) for v in window] or None,
            "missing_share": {c: float(v) for c, v in missing.items()},
            "distinct": {c: int(v) for c, v in distinct.items()}}


def check_dask_source(spec: DatasetSpec) -> None:
    """Before any cluster is reached: the Dask engine reads files, not SQL queries."""
    if spec.leads.path is None:
        raise LeadscoreError(f"{spec.leads.describe()}: --engine dask reads files; set 'leads.path' to a CSV or "
                             "Parquet file, a folder or a glob (or use the pandas engine)")
    if spec.activities:
        check_dask_activities(spec)


def build_training_set_dask(spec: DatasetSpec, as_of: str | None = None, blocksize: str = "64MB") -> DaskTrainingSet:
    """The pandas build's training set, computed on the current Dask client. Raises LeadscoreError."""
    leads_spec = spec.leads
    source = leads_spec.describe()
    check_dask_source(spec)
    started = time.monotonic()
    leads = read_frame(leads_spec.path, leads_spec.encoding, blocksize)
    require_columns(leads._meta, [leads_spec.id], source, "leads.id")
    # Ids as the pandas engine reads them: a CSV part of whole-number ids is read as floats here (123.0).
    leads[leads_spec.id] = leads[leads_spec.id].map_partitions(id_text, meta=(leads_spec.id, "string"))
    declared = [leads_spec.id] + ([leads_spec.created_at] if leads_spec.created_at else [])
    require_columns(leads._meta, declared, source, "leads.id / leads.created_at")
    context = _lookup_context(spec)
    if context is not None:
        context.fit(LeadsAt(leads._meta))
    # The spec and the glossary may name joined columns: both are checked against every column there will be
    # (with activities, once the engagement columns are known).
    every = context.match(leads._meta, source)[0] if context is not None else leads._meta
    if not spec.activities:
        check_declared(spec, every, source)
        glossary = check_glossary(spec, every.columns, source)
    reserved = set(declared) | ({spec.outcome.column} if spec.outcome.column else set())
    # Columns that never become features (personal data, excluded, known after contact) are not even
    # parsed: Dask pushes the selection into the reader, so they never take memory on the workers. A
    # lookup's key column is kept until the join, even when it is no feature itself.
    keys = {t["on"] for t in context.lookups} if context is not None else set()
    # A close date ends a lead's snapshots: read, never a feature.
    closed = spec.activities.prediction.closed_at if spec.activities else None
    keys |= {closed} - {None}
    leads = leads[[c for c in leads.columns if c in reserved | keys or c not in spec.never_features()]]
    # With an activity table the events need the workers' memory: the leads are kept on disk between passes.
    work = tempfile.TemporaryDirectory(prefix="leadscore-build-") if spec.activities else None
    leads = _kept(leads.map_partitions(blank_placeholders, list(leads_spec.missing_values), meta=leads._meta),
                  work, "read")

    facts = _per_part(_facts, leads, leads_spec.id)
    log.debug("dask build: leads read and kept on the workers, %.1f s", time.monotonic() - started)
    offsets = first_rows(f["rows"] for f in facts)
    if sum(f["rows"] for f in facts) == 0:
        raise LeadscoreError(f"{source}: the leads table has no rows; point the spec at the full export")
    for fact, offset in zip(facts, offsets, strict=True):
        if fact["null_id"] is not None:
            raise LeadscoreError(f"{source}: lead id column {leads_spec.id!r} is empty at data row "
                                 f"{offset + fact['null_id'] + 1}")
    _check_unique(leads, leads_spec.id, source, offsets)
    if leads_spec.created_at:
        fmt = leads_spec.date_format or _date_format(leads, leads_spec.created_at, offsets[-1] + facts[-1]["rows"],
                                                     source, leads_spec.id)
        meta = leads._meta.assign(**{leads_spec.created_at: pd.Series(dtype="datetime64[ns]")})
        leads = leads.map_partitions(_parse_part, leads_spec.created_at, fmt, source, leads_spec.id, offsets, meta=meta)
        if closed:  # a lead closed after the export was written is no error: parsed, not checked for the future
            require_columns(leads._meta, [closed], source, "activities.prediction.closed_at")
            fmt = leads_spec.date_format or _date_format(leads, closed, offsets[-1] + facts[-1]["rows"], source,
                                                         leads_spec.id)
            meta = meta.assign(**{closed: pd.Series(dtype="datetime64[ns]")})
            leads = leads.map_partitions(_parse_part, closed, fmt, source, leads_spec.id, offsets, True, meta=meta)
        leads = _kept(leads, work, "parsed")

    relation = None
    if spec.lookups:
        leads, relation = _join_lookups(leads, context, spec, source, work)
        facts = _per_part(_facts, leads, leads_spec.id)  # the joined columns' filled counts too
    filled = {c: sum(f["filled"].get(c, 0) for f in facts) for c in leads.columns}
    plan = _Plan(spec=spec, source=source, reserved=reserved, empty=[c for c, n in filled.items() if n == 0],
                 offsets=offsets, outcome=_outcome_for_parts(leads, spec, source))
    snapshots = spec.activities is not None and spec.activities.prediction.snapshots
    plan.snapshots = spec.activities.prediction if snapshots else None
    report = _labels_plan(plan, leads, as_of)
    counted = _snapshot_report(plan, leads, report) if snapshots else None
    if spec.activities:
        buckets = Path(work.name) / "buckets"
        events = read_events(spec.activities, blocksize)
        count = bucket_count(leads, events)
        decided = bucket_leads(leads, plan, labels_of, buckets, count, first_win_times(spec))
        _release(work, None)  # the leads are read from their buckets from here on
        leads, activities = engaged_leads(events, spec, context, buckets, count, decided, list(every.columns))
        relation = relation or Relation(context=context)
        relation.activities, relation.prediction_time = activities, spec.activities.prediction.describe()
        relation.snapshots = counted
        every = pd.DataFrame(columns=[*every.columns, *context.engagement_columns_])
        check_declared(spec, every, source)
        glossary = check_glossary(spec, every.columns, source)
        facts = _per_part(_facts, leads, leads_spec.id)  # the engagement columns' filled counts too
        plan.empty = [c for c in leads.columns if sum(f["filled"].get(c, 0) for f in facts) == 0]
        plan.reserved = reserved | set(MARKS)
    first = leads.get_partition(0).compute()
    features, names = feature_frame(first, spec, plan.reserved, plan.empty)
    check_personal_data(features.rename(columns=names), source)

    meta = _training_part(first.iloc[:0], plan)
    frame = leads.map_partitions(_training_part, plan, meta=meta).persist()
    if work is not None:  # the training rows are on the workers: the files they were made from can go
        from distributed import wait

        wait(frame)
        work.cleanup()
    y = frame["label"].compute().to_numpy()
    log.debug("dask build: %d training rows kept on the workers, %.1f s", len(y), time.monotonic() - started)
    if len(y) == 0:
        raise LeadscoreError(f"{source}: no lead has a known outcome yet (snapshot {report.snapshot})")
    check_enough(y, spec.evaluation.folds, source)
    strengths = []
    if names:  # a lead's snapshot rows share a fold, as in the pandas build
        groups = pd.factorize(frame["lead_id"].compute())[0] if snapshots else None
        folds = assign_folds(y, spec.evaluation.folds, spec.evaluation.seed, groups)
        strengths = sorted((ColumnStrength(c, single_column_auc(frame[c].compute(), y, folds)) for c in names),
                           key=lambda s: s.auc, reverse=True)
        check_leaks(strengths, spec.features.leak_threshold, set(spec.features.allow_strong), names)
    log.debug("dask build: leak guard done, %.1f s", time.monotonic() - started)
    warnings = leak_warnings(strengths, spec.features.leak_warn, names, set(spec.features.allow_strong))
    return DaskTrainingSet(frame=frame, feature_names=names, label_report=report, strengths=strengths, spec=spec,
                           glossary=glossary, leak_warnings=warnings, stats=_stats(frame, list(names), y),
                           relation=relation)


def _lookup_context(spec: DatasetSpec) -> LeadContext | None:
    """The LeadContext holding the spec's lookup tables (small: read on the client, sent to every partition)
    and its activity windows."""
    if not spec.lookups and not spec.activities:
        return None
    return context_for(spec, read_lookups(spec.lookups))


def _kept(frame, work, name: str):
    """The frame kept for the passes to come: in the workers' memory, or with a work folder as Parquet
    files there, one per partition (row order and partitions as they were)."""
    if work is None:
        return frame.persist()
    import dask.dataframe as dd

    # Whole numbers as float64, as CSV parts are read: Parquet files of one export may hold a column as
    # int64 in one file and double in another (a blank), and the files written here share one schema.
    whole = {c: "float64" for c, t in frame.dtypes.items() if pd.api.types.is_integer_dtype(t)}
    try:
        frame.astype(whole).to_parquet(str(Path(work.name) / name), write_index=False)
    except ValueError as exc:
        raise LeadscoreError(f"the leads' files differ in a column's type: {str(exc).splitlines()[0][:300]}; "
                             "export every file with the same columns and types") from None
    kept = dd.read_parquet(str(Path(work.name) / name))
    _release(work, name)
    return kept


KEPT = ("read", "parsed", "joined")  # the generations of the leads a build with a work folder writes


def _release(work, keep: str | None) -> None:
    """Remove the leads' earlier generations from the work folder: once the next is written nothing reads
    them, and each is as large as the leads."""
    for name in KEPT:
        if name != keep:
            shutil.rmtree(Path(work.name) / name, ignore_errors=True)


def _joined_part(part: pd.DataFrame, context: LeadContext, source: str, never: list[str], out: Path | None = None
                 ) -> tuple[pd.DataFrame | None, list[MatchReport]]:
    """A partition with its lookups joined, and how each matched; with `out` the rows go to that Parquet file."""
    joined, reports = context.match(part, source)
    joined = joined.drop(columns=[c for c in never if c in joined.columns])
    if out is not None:
        joined.to_parquet(out, index=False)
        return None, reports
    return joined, reports


def _join_lookups(leads, context: LeadContext, spec: DatasetSpec, source: str, work=None):
    """The leads with their lookups joined on every partition, and the Relation the model's Pipeline carries
    (its unmatched shares summed over all partitions, as the pandas build measures them on all rows).
    One pass: each partition is joined once, giving its rows and how each lookup matched there. The rows
    are kept in the workers' memory, or with a work folder as Parquet files there."""
    import dask
    import dask.dataframe as dd

    meta_joined = context.match(leads._meta, source)[0]
    closed = spec.activities.prediction.closed_at if spec.activities else None  # ends the snapshots: kept
    declared = {spec.leads.id, spec.leads.created_at, spec.outcome.column, closed} - {None}
    never = [c for c in meta_joined.columns if c in spec.never_features() and c not in declared]
    if work is not None:
        folder = Path(work.name) / "joined"
        folder.mkdir()
        files = [str(folder / f"part.{i:06d}.parquet") for i in range(leads.npartitions)]
        reports = dask.compute(*[dask.delayed(_joined_part, nout=2)(part, context, source, never, file)[1]
                                 for part, file in zip(leads.to_delayed(), files, strict=True)])
        joined = dd.read_parquet(files)
        _release(work, "joined")
    else:
        pairs = [dask.delayed(_joined_part, nout=2)(part, context, source, never) for part in leads.to_delayed()]
        kept = dask.persist(*[item for pair in pairs for item in pair])  # one task per partition, kept in memory
        joined = dd.from_delayed(list(kept[0::2]), meta=meta_joined.drop(columns=never), verify_meta=False)
        reports = dask.compute(*kept[1::2])
    matches = [_merged(reports) for reports in zip(*reports, strict=True)]
    context.unmatched_share_ = {m.table: round(m.share, 4) for m in matches}
    return joined, Relation(context=context, matches=matches)


def _merged(reports: tuple[MatchReport, ...]) -> MatchReport:
    """One lookup's match over all partitions: counts summed, the first examples in row order."""
    first = reports[0]
    examples = list(dict.fromkeys(e for r in reports for e in r.examples))[:EXAMPLES]
    nearest = {e: n for r in reports for e, n in r.nearest.items() if e in examples}
    return MatchReport(table=first.table, column=first.column, rows=sum(r.rows for r in reports),
                       missing_key=sum(r.missing_key for r in reports), unmatched=sum(r.unmatched for r in reports),
                       examples=examples, nearest=nearest, warn_at=first.warn_at)

