"""Snapshot training rows: a row per lead every K days from its creation while it is open, each labelled
by a win within the horizon after the snapshot (`activities.prediction: {snapshot_every_days, horizon_days}`).

A lead is open at a snapshot when its first known win (and its close date, when the spec names a
`closed_at` column) comes after it, and the snapshot is not later than the end of the data (--as-of,
else the latest date seen). A row whose horizon runs past that end is not yet known: it is left out
and counted, never a loss; its early wins are left out with it, as for labels by creation horizon
(features/labels.py), so recent rows do not bias the positive rate. Each row's snapshot time is its
prediction time: the engagement features count only what happened by then (features/context.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from features.dates import parse_dates
from features.errors import LeadscoreError
from features.labels import LabelReport, first_wins, label_leads, read_wins, report_unmatched, snapshot_of
from features.load import require_columns
from features.spec import DatasetSpec

DAY_NS = 86_400 * 10**9
MAX_ROWS = 50_000_000  # a spec asking for more rows than memory holds gets a question, not a crash


@dataclass
class SnapshotRows:
    """The snapshot rows of a leads table: which lead (position), when, label, and whether it is known."""

    position: np.ndarray  # the row of the leads table each snapshot belongs to
    at: np.ndarray  # datetime64[ns]: the snapshot, each row's prediction time
    label: np.ndarray  # int8: won within the horizon after the snapshot
    known: np.ndarray  # bool: the horizon closed by the end of the data


@dataclass
class SnapshotReport:
    """How many snapshot rows and leads the build kept, kept in the profile."""

    every_days: float
    horizon_days: float
    rows: int = 0  # training rows: snapshots whose horizon closed by the end of the data
    leads: int = 0  # leads with at least one training row
    positives: int = 0
    rows_not_yet_known: int = 0  # snapshots whose horizon runs past the end of the data: left out
    leads_without_snapshot: int = 0  # won or closed at creation, or created after the end of the data
    rows_per_lead_max: int = 0
    rows_per_lead_median: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (f"snapshots every {self.every_days:g} days, labelled by a win within {self.horizon_days:g} days: "
                f"{self.rows:,} rows of {self.leads:,} leads ({self.positives:,} positive; at most "
                f"{self.rows_per_lead_max:,} rows per lead, median {self.rows_per_lead_median:g}); "
                f"{self.rows_not_yet_known:,} rows whose horizon runs past the end of the data are not yet known")


def snapshot_counts(created_at: np.ndarray, stop: np.ndarray, end: np.datetime64, every_days: float,
                    max_age_days: float | None = None) -> np.ndarray:
    """How many snapshots each lead has: created + k * every_days for k = 0, 1, ... while before `stop`
    (first win or close; NaT: none), at or before `end`, and at most `max_age_days` old."""
    created = np.asarray(created_at, dtype="datetime64[ns]").astype(np.int64)
    step = int(round(every_days * DAY_NS))
    big = np.iinfo(np.int64).max // 4
    stop_ns = np.asarray(stop, dtype="datetime64[ns]")
    open_for = np.where(np.isnat(stop_ns), big, stop_ns.astype(np.int64) - created)  # strictly before stop
    count = np.where(open_for > 0, (open_for - 1) // step + 1, 0)
    until_end = np.datetime64(end, "ns").astype(np.int64) - created  # at or before the end
    count = np.minimum(count, np.where(until_end >= 0, until_end // step + 1, 0))
    if max_age_days is not None:
        count = np.minimum(count, int(max_age_days * DAY_NS) // step + 1)
    return count


def check_row_count(rows: int, limit: int) -> None:
    """More snapshot rows than `limit` stop the build, naming the keys that make fewer."""
    if rows > limit:
        raise LeadscoreError(f"snapshots would make {rows:,} training rows, more than {limit:,}; "
                             "raise 'activities.prediction.snapshot_every_days' or set a lower "
                             "'activities.prediction.max_age_days'")


def snapshot_times(created_at: np.ndarray, stop: np.ndarray, end: np.datetime64, every_days: float,
                   max_age_days: float | None = None, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lead position, snapshot time) of every snapshot (`snapshot_counts`); more than `limit` rows
    (None: no limit) stop the build."""
    created = np.asarray(created_at, dtype="datetime64[ns]").astype(np.int64)
    step = int(round(every_days * DAY_NS))
    count = snapshot_counts(created_at, stop, end, every_days, max_age_days)
    if limit is not None:
        check_row_count(int(count.sum()), limit)
    position = np.repeat(np.arange(len(created)), count)
    k = np.arange(len(position)) - np.repeat(np.cumsum(count) - count, count)
    return position, (created[position] + k * step).astype("datetime64[ns]")


def snapshot_labels(first_win: np.ndarray, at: np.ndarray, end: np.datetime64,
                    horizon_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Label (won within the horizon after the snapshot) and known (the horizon closed by `end`) per row."""
    horizon = np.timedelta64(int(round(horizon_days * DAY_NS)), "ns")
    closes = at + horizon
    won = ~np.isnat(first_win) & (first_win > at) & (first_win <= closes)
    return won.astype("int8"), closes <= np.datetime64(end, "ns")


def closed_times(spec: DatasetSpec, leads: pd.DataFrame, ids: pd.Series, source: str) -> np.ndarray:
    """Each lead's close date from the spec's `activities.prediction.closed_at` column (NaT: still open)."""
    column = spec.activities.prediction.closed_at
    if column is None:
        return np.full(len(leads), np.datetime64("NaT"), dtype="datetime64[ns]")
    require_columns(leads, [column], source, "activities.prediction.closed_at")
    parsed = parse_dates(leads[column], spec.leads.date_format, source, column, "leads.date_format", ids)
    return parsed.to_numpy(dtype="datetime64[ns]")


def lead_snapshots(lead_ids: pd.Series, created_at: np.ndarray, closed: np.ndarray, wins: pd.Series,
                   end: np.datetime64, prediction, limit: int | None) -> SnapshotRows:
    """The snapshot rows of some leads, given every lead's first known win (`wins`, by lead id as text) and
    the end of the data: row by row, so the Dask engine runs it on each partition with `wins` broadcast."""
    first_win = wins.reindex(lead_ids.astype("string").to_numpy(dtype=object)).to_numpy(dtype="datetime64[ns]")
    stop = np.where(np.isnat(closed) | (~np.isnat(first_win) & (first_win < closed)), first_win, closed)
    end_ns = np.datetime64(end, "ns")
    position, at = snapshot_times(np.asarray(created_at, dtype="datetime64[ns]"), stop, end_ns,
                                  prediction.snapshot_every_days, prediction.max_age_days, limit)
    label, known = snapshot_labels(first_win[position], at, end_ns, prediction.horizon_days)
    return SnapshotRows(position=position, at=at, label=label, known=known)


def table_snapshots(spec: DatasetSpec, leads: pd.DataFrame, ids: pd.Series, created_at: pd.Series, wins: pd.Series,
                    end: pd.Timestamp, source: str, limit: int | None) -> SnapshotRows:
    """`lead_snapshots` of a leads table (or a partition of one), its close dates read from the spec's column."""
    return lead_snapshots(ids, created_at.to_numpy(dtype="datetime64[ns]"), closed_times(spec, leads, ids, source),
                          wins, pd.Timestamp(end).to_datetime64(), spec.activities.prediction, limit)


def row_counts(rows: SnapshotRows, leads: int) -> dict:
    """What `SnapshotReport.summed` adds up for some leads' snapshot rows; `per_lead[n]`: how many of the
    leads have n training rows."""
    per_lead = np.bincount(rows.position[rows.known], minlength=leads)
    return {"rows": int(rows.known.sum()), "positives": int(rows.label[rows.known].sum()),
            "rows_not_yet_known": int((~rows.known).sum()),
            "leads_without_snapshot": int(leads - len(np.unique(rows.position))),
            "per_lead": np.bincount(per_lead, minlength=1)}


def summed_report(counts: list[dict], prediction) -> SnapshotReport:
    """The profile's snapshot counts over every part's `row_counts`; the median from the summed histogram."""
    size = max(len(c["per_lead"]) for c in counts)
    per_lead = sum(np.pad(c["per_lead"], (0, size - len(c["per_lead"]))) for c in counts)[1:]  # leads with rows
    leads = int(per_lead.sum())
    report = SnapshotReport(every_days=prediction.snapshot_every_days, horizon_days=prediction.horizon_days,
                            leads=leads, **{k: sum(c[k] for c in counts) for k in
                                            ("rows", "positives", "rows_not_yet_known", "leads_without_snapshot")})
    if leads:
        nth = np.cumsum(per_lead)  # value v + 1 holds the sorted positions below nth[v]

        def value_at(i: int) -> int:
            return int(np.searchsorted(nth, i, side="right")) + 1

        report.rows_per_lead_max = int(np.flatnonzero(per_lead)[-1]) + 1
        report.rows_per_lead_median = (value_at((leads - 1) // 2) + value_at(leads // 2)) / 2
    return report


def snapshot_rows(spec: DatasetSpec, leads: pd.DataFrame, ids: pd.Series, created_at: pd.Series | None,
                  as_of: pd.Timestamp | None, source: str) -> tuple[SnapshotRows, LabelReport, SnapshotReport]:
    """Every lead's snapshot rows with their labels, what labelling saw, and the counts for the profile."""
    prediction, outcome = spec.activities.prediction, spec.outcome
    if created_at is None:
        raise LeadscoreError(f"{source}: snapshots start at each lead's creation time; set 'leads.created_at' "
                             "in the spec")
    won_ids, won_at = read_wins(outcome)
    lead_ids = ids.astype("string")
    matched = won_ids.isin(set(lead_ids))
    report = LabelReport()
    report_unmatched(report, won_ids, matched, outcome.describe())
    end = snapshot_of(report, outcome, as_of, created_at.max(), won_at.max())
    report.wins_after_snapshot = int((won_at > end).sum())
    wins = first_wins(won_ids, won_at, matched, end)
    _, _, counts = label_leads(ids, created_at, wins, end, None)
    for key, value in counts.items():
        setattr(report, key, value)
    rows = table_snapshots(spec, leads, ids, created_at, wins, end, source, MAX_ROWS)
    report.not_yet_known = int((~rows.known).sum())
    return rows, report, summed_report([row_counts(rows, len(leads))], prediction)
