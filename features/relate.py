"""The build's step for related tables and activities: join the spec's lookups onto the leads, add the
engagement features as of each lead's prediction time, and leave out leads already won by then.

The fitted LeadContext it returns is the one the model's Pipeline carries, so scoring and the service
make the same columns the training set holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.activity_load import ActivityReport, read_activities
from features.context import LeadContext, LeadsAt
from features.errors import LeadscoreError
from features.labels import read_wins
from features.lookups import MatchReport, read_lookups
from features.spec import DatasetSpec


@dataclass
class Relation:
    """What relating the leads made and found, for the training set and its profile."""

    context: LeadContext
    matches: list[MatchReport] = field(default_factory=list)
    activities: ActivityReport | None = None
    keep: np.ndarray | None = None  # leads still open at their prediction time (None: all)
    prediction_time: str | None = None
    snapshots: object = None  # features/snapshots.py SnapshotReport, when each lead has a row per snapshot
    repeated_windows: list[tuple[int, int]] = field(default_factory=list)  # (window, the shorter one it repeats)

    def warnings(self) -> list[str]:
        found = [w for m in self.matches if (w := m.warning())]
        if self.repeated_windows:
            longer = " and ".join(str(w) for w, _ in self.repeated_windows)
            shorter = " and ".join(dict.fromkeys(str(s) for _, s in self.repeated_windows))
            found.append(f"activities.windows: the counts in the last {longer} days equal those in the last "
                         f"{shorter} days on every training row (no event falls further before a prediction "
                         f"time), so their reasons would repeat one count; drop {longer} from 'activities.windows'")
        return found + (self.activities.warnings() if self.activities else [])

    def summary(self) -> str | None:
        """One line of what point-in-time engagement saw, printed by `leadscore build`."""
        a = self.activities
        if a is None:
            return None
        snapshots = f"{self.snapshots.summary()}; " if self.snapshots is not None else ""
        return snapshots + (
                f"activities: {a.used:,} of {a.rows:,} events used; prediction time {self.prediction_time}; "
                f"{a.after_prediction_time:,} events after their lead's prediction time never reach a feature; "
                f"{a.won_before_prediction_time:,} leads already won by then left out; "
                f"{len(self.context.engagement_columns_)} engagement features")

    def profile(self) -> dict:
        out: dict = {"lookups": [m.as_dict() for m in self.matches]}
        if self.activities is not None:
            out["activities"] = {**self.activities.as_dict(), "prediction_time": self.prediction_time,
                                 "types": list(self.context.types_),
                                 "features": list(self.context.engagement_columns_)}
        if self.snapshots is not None:
            out["snapshots"] = self.snapshots.as_dict()
        return out


def prediction_times(spec: DatasetSpec, created_at: pd.Series | None, source: str) -> np.ndarray:
    if created_at is None:
        raise LeadscoreError(f"{source}: activity features need each lead's creation time for its prediction time; "
                             "set 'leads.created_at' in the spec")
    age = pd.Timedelta(days=spec.activities.prediction.age_days)
    return (created_at + age).to_numpy(dtype="datetime64[ns]")


def first_win_times(spec: DatasetSpec) -> pd.Series | None:
    """Each won lead's first win time by lead id (text); None when the outcome dates no wins."""
    outcome = spec.outcome
    if not outcome.is_table or not outcome.won_at:
        return None
    won_ids, won_at = read_wins(outcome)
    return pd.DataFrame({"lead": won_ids, "at": won_at}).groupby("lead")["at"].min()


def won_by(ids: pd.Series, as_of: np.ndarray, spec: DatasetSpec, first: pd.Series | None = None) -> np.ndarray:
    """Leads whose first win came at or before their prediction time: decided already, nothing to score.
    `first`: `first_win_times(spec)` when the caller has it (the Dask engine reads it once for all parts)."""
    first = first_win_times(spec) if first is None else first
    if first is None:
        return np.zeros(len(ids), dtype=bool)
    first_win = first.reindex(ids.astype("string").to_numpy(dtype=object)).to_numpy(dtype="datetime64[ns]")
    return ~np.isnat(first_win) & (first_win <= as_of)


def context_for(spec: DatasetSpec, lookups) -> LeadContext:
    """The (unfitted) LeadContext of a spec: its lookup tables (read), activity windows and decay."""
    act = spec.activities
    return LeadContext(lookups=[t.to_plain() for t in lookups], windows=act.windows if act else None,
                       half_life_days=act.half_life_days if act else 14.0,
                       max_types=act.max_types if act else 12, min_type_count=act.min_type_count if act else 20,
                       channel=bool(act and act.channel),
                       event_columns=act.model_dump(include={"lead_id", "at", "type", "channel", "timezone",
                                                             "date_format", "encoding"}) if act else None)


def relate_leads(spec: DatasetSpec, leads: pd.DataFrame, ids: pd.Series, created_at: pd.Series | None,
                 source: str, as_of: np.ndarray | None = None) -> tuple[pd.DataFrame, Relation]:
    """The leads with lookup columns and engagement features, and the fitted LeadContext behind them.
    `as_of`: each row's prediction time when the rows are snapshots (a lead may then have several rows);
    None: the spec's fixed age after creation."""
    lookups = read_lookups(spec.lookups)
    act = spec.activities
    events, report = None, None
    if act is not None:
        as_of = prediction_times(spec, created_at, source) if as_of is None else as_of
        events, report = read_activities(act, ids)
    context = context_for(spec, lookups)
    framed = leads.assign(**{"__lead_id__": ids.astype("string")})
    decided = won_by(ids, as_of, spec) if act is not None else np.zeros(len(leads), dtype=bool)
    if act is not None:
        ages = context.event_ages(LeadsAt(framed, events, as_of, "__lead_id__"))
        report.after_prediction_time = int(np.sum(ages < 0))
        # Only events some row knows at its prediction time can reach a feature or name a type: the others
        # (most of a long history) are left here, in order, so the steps below read a fraction of the table.
        events = events[ages >= 0].reset_index(drop=True)
    # Learned from the leads that become training rows: a lead won by its prediction time is left out,
    # and so is what it did (its after-the-win events must not even name a feature).
    kept = framed[~decided]
    context.fit(LeadsAt(kept, events, None if as_of is None else as_of[~decided], "__lead_id__"))
    joined, matches = context.match(leads, source)
    relation = Relation(context=context, matches=matches, activities=report)
    if act is None:
        return joined, relation
    at = LeadsAt(framed, events, as_of, "__lead_id__")
    report.won_before_prediction_time = int(decided.sum())
    relation.keep = ~decided
    relation.prediction_time = act.prediction.describe()
    engagement = context.engagement(at)
    relation.repeated_windows = repeated_windows(engagement[~decided], context)
    clash = [c for c in engagement.columns if c in joined.columns]
    if clash:
        raise LeadscoreError(f"{source}: the engagement feature {clash[0]!r} has the name of a leads column; rename "
                             "that activity type in the activity table or the column in the leads")
    return pd.concat([joined, engagement], axis=1), relation


def repeated_windows(engagement: pd.DataFrame, context: LeadContext) -> list[tuple[int, int]]:
    """(window, shorter window) pairs whose counts are equal for every activity type on every row, with some
    activity counted: the longer window adds a feature that only repeats the shorter one."""
    counts = {(c.type, c.window): name for name, c in context.engagement_columns_.items() if c.kind == "count"}
    windows = sorted({w for _, w in counts})
    found = []
    for shorter, longer in zip(windows, windows[1:], strict=False):
        pairs = [(counts[t, shorter], counts[t, longer]) for t, w in counts if w == shorter and (t, longer) in counts]
        if not pairs or not any(engagement[a].fillna(0).gt(0).any() for a, _ in pairs):
            continue
        if all(engagement[a].fillna(-1).equals(engagement[b].fillna(-1)) for a, b in pairs):
            found.append((longer, found[-1][1] if found and found[-1][0] == shorter else shorter))
    return found
