"""Batch scoring of a model whose leads span tables and time: the activity file and prediction time it
reads, and whether scored leads match its lookups as often as training rows did."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.errors import LeadscoreError
from features.lookups import MatchReport, shifted_matches


def score_inputs(loaded, activities: Path | None, as_of: str | None) -> tuple[pd.DataFrame | None, pd.Timestamp,
                                                                          list[str]]:
    """(events, prediction time, notes) for `leadscore score`: events read from --activities, the time from
    --as-of (default now); a note when a model that counts activities gets none."""
    context, when, notes = activity_options(loaded, activities, as_of)
    if activities is None or context is None:
        return None, when, notes
    events, report = context.read_events(str(activities))
    return events, when, notes + report.warnings() + stale_events(context, events, when, as_of)


def stale_events(context, events: pd.DataFrame, when: pd.Timestamp, as_of: str | None) -> list[str]:
    """A note when the prediction time defaulted to now and the newest event is older than the longest
    window: every lead then counts as long inactive, the way an old export scored today looks."""
    newest = events["at"].max() if len(events) else pd.NaT
    longest = max(context.windows or [0])
    if as_of is not None or pd.isna(newest) or when - newest <= pd.Timedelta(days=longest):
        return []
    return [f"--as-of was not given, so the leads are scored as of now ({when:%Y-%m-%d}), but the newest "
            f"activity in --activities is dated {newest:%Y-%m-%d}, {(when - newest).days:,} days earlier: every "
            f"window ({longest:g} days at most) is empty and every lead counts as inactive since then; pass --as-of "
            "with the export's time"]


def activity_options(loaded, activities: Path | None, as_of: str | None) -> tuple[object, pd.Timestamp, list[str]]:
    """(the model's LeadContext when it counts activities, else None; the --as-of time, default now; notes):
    the checks both engines make before reading any activity."""
    context = dict(loaded.pipeline.steps).get("context")
    try:
        when = pd.Timestamp(as_of) if as_of else pd.Timestamp.now(tz="UTC")
    except ValueError:
        raise LeadscoreError(f"--as-of {as_of!r} is not a date; use ISO 8601, e.g. 2026-03-31 or "
                             "2026-03-31T14:05") from None
    if when.tzinfo is not None:
        when = when.tz_convert("UTC").tz_localize(None)
    notes: list[str] = []
    engaged = context is not None and bool(context.columns_)
    if activities is not None and not engaged:
        raise LeadscoreError("--activities: this model has no activity features (its spec declares no "
                             "'activities'); leave the option out")
    if engaged and activities is None:
        notes.append("this model counts activities but --activities was not given: every lead is scored as "
                      "having none, which lowers engaged leads' scores")
    return (context if engaged else None), when, notes


def match_shift(loaded, matches: list[MatchReport]) -> list[str]:
    """Lookups that scored leads miss far more (or less) often than training rows did, with both shares."""
    context = dict(loaded.pipeline.steps).get("context")
    if context is None or not matches:
        return []
    total: dict[str, MatchReport] = {}
    for m in matches:  # one report per chunk: add them up per table
        if m.table in total:
            t = total[m.table]
            t.rows, t.missing_key, t.unmatched = t.rows + m.rows, t.missing_key + m.missing_key, \
                t.unmatched + m.unmatched
        else:
            total[m.table] = MatchReport(**{**m.__dict__, "examples": list(m.examples), "nearest": dict(m.nearest)})
    found = [w for m in total.values() if (w := m.warning())]
    return found + shifted_matches(context.unmatched_share_, list(total.values()))
