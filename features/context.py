"""LeadContext: the Pipeline's first step, turning (lead, its activities, as-of time) into the lead's fields.

It joins the spec's lookups (the tables it holds are the build's copy, so batch scoring and the service
join exactly what training joined, without reaching for files) and adds the engagement features as of
each row's prediction time (features/activities.py). Build, batch scoring and the service all call it;
the fitted object travels inside the model's Pipeline.

Inputs: `LeadsAt(frame, events, as_of)` is turned into the frame with its new columns. A plain DataFrame
is a training frame whose columns were already made by this same object at build time, and passes
through unchanged (the Pipeline's fit and the evaluation folds see it so). The service calls
`transform_records` with each lead's activities inside the lead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from features.activities import (
    EngagementColumn,
    engagement_columns,
    event_rows,
    event_time,
    features_for_records,
    features_for_table,
    kept_types,
    kept_types_counted,
)
from features.errors import LeadscoreError
from features.lookups import LookupTable, MatchReport, join_lookups, join_record
from features.names import safe_name

ACTIVITIES_FIELD = "activities"  # the request field holding a lead's recent activities


@dataclass
class LeadsAt:
    """Leads with their activity events (lead, at, type[, channel]) and each one's prediction time."""

    frame: pd.DataFrame
    events: pd.DataFrame | None = None
    as_of: pd.Timestamp | np.ndarray | None = None  # one time for all, or one per row; None: now
    id_column: str | None = None  # the leads' id column (the events' `lead` values match it)


def now_utc() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_localize(None)


class LeadContext(TransformerMixin, BaseEstimator):
    """Lookups joined, engagement features added, point-in-time.

    Parameters
    ----------
    lookups : the lookup tables in join order, each as `LookupTable.to_plain()` (features/lookups.py):
        plain lists and dicts, what the model file stores safely.
    windows : days of the activity count windows; None: no activity features.
    half_life_days : the decayed engagement sum halves every this many days.
    max_types, min_type_count : types kept as their own features (the rest share 'other').
    channel : whether events carry a channel (first and last touch channel features).
    event_columns : the spec's activity-table keys (lead_id, at, type, channel, timezone, date_format), so
        `leadscore score --activities FILE` reads a file of the same shape.
    """

    def __init__(self, lookups: Sequence[dict] = (), windows: Sequence[int] | None = None,
                 half_life_days: float = 14.0, max_types: int = 12, min_type_count: int = 20, channel: bool = False,
                 event_columns: Mapping[str, object] | None = None):
        self.lookups = lookups
        self.windows = windows
        self.half_life_days = half_life_days
        self.max_types = max_types
        self.min_type_count = min_type_count
        self.channel = channel
        self.event_columns = event_columns

    def fit(self, X: LeadsAt, y=None) -> LeadContext:
        """Learn the activity types kept as features (from events known at each row's prediction time) and
        each lookup's share of unmatched rows (to compare scored leads with)."""
        self.types_, self.grouped_ = [], False
        if self.windows is not None and isinstance(X, LeadsAt) and X.events is not None:
            ages = self.event_ages(X)
            self.types_, self.grouped_ = kept_types(X.events["type"][ages >= 0], self.max_types, self.min_type_count)
        self._set_columns()
        self.unmatched_share_ = {}
        if isinstance(X, LeadsAt) and self.lookups:
            self.unmatched_share_ = {r.table: round(r.share, 4) for r in self.match(X.frame)[1]}
        self.n_features_in_ = len(X.frame.columns) if isinstance(X, LeadsAt) else len(X.columns)
        return self

    def fit_types(self, counts: pd.Series) -> LeadContext:
        """The types kept as features from counts of the known events per type (the Dask engine counts them
        bucket by bucket; `fit` counts them on one table)."""
        self.types_, self.grouped_ = kept_types_counted(counts, self.max_types, self.min_type_count)
        self._set_columns()
        return self

    def _set_columns(self) -> None:
        columns = engagement_columns(self.types_, self.windows, self.grouped_, self.channel) if self.windows else {}
        self.columns_ = {name: asdict(col) for name, col in columns.items()}  # plain dicts for the model file
        self._cache_columns = self._cache_computed = None

    def event_ages(self, X: LeadsAt) -> np.ndarray:
        """Each event's age in days at its lead's prediction time, the latest one when the lead has several
        rows (snapshots): negative when no row of its lead knows it; NaN for events of unknown leads."""
        event, row = event_rows(X.frame[X.id_column], X.events["lead"])
        times = X.events["at"].to_numpy(dtype="datetime64[ns]")
        ages = np.full(len(X.events), np.nan)
        np.fmax.at(ages, event, (self._as_of(X)[row] - times[event]) / np.timedelta64(1, "D"))
        return ages

    @staticmethod
    def _as_of(X: LeadsAt) -> np.ndarray:
        if X.as_of is None or np.ndim(X.as_of) == 0:
            stamp = pd.Timestamp(X.as_of) if X.as_of is not None else now_utc()
            return np.full(len(X.frame), stamp.to_datetime64(), dtype="datetime64[ns]")
        return np.asarray(X.as_of, dtype="datetime64[ns]")

    def match(self, frame: pd.DataFrame, source: str = "leads") -> tuple[pd.DataFrame, list[MatchReport]]:
        """The frame with its lookups joined, and how each lookup matched."""
        return join_lookups(frame, self._tables(), source)

    def engagement(self, X: LeadsAt) -> pd.DataFrame:
        """The engagement features (original names) of each row at its prediction time."""
        check_is_fitted(self, "columns_")
        ids = X.frame[X.id_column].astype("string") if X.id_column in X.frame else \
            pd.Series(np.arange(len(X.frame)).astype(str), index=X.frame.index, dtype="string")
        return features_for_table(ids, self._as_of(X), X.events, self.engagement_columns_, self.types_,
                                  self.half_life_days)

    def output_names(self) -> list[str]:
        """The columns this step adds (original names)."""
        check_is_fitted(self, "columns_")
        return [c for t in self.lookups for c in t["columns"]] + list(self.columns_)  # lookup columns: prefixed

    def made(self, columns) -> bool:
        """Whether a frame already holds every column this step adds (by original or safe name)."""
        present = {str(c) for c in columns}
        return all(c in present or safe_name(c) in present for c in self.output_names())

    def key_fields(self) -> set[str]:
        """Lead fields the step reads: the lookups' keys of the leads, the activities and the as-of time."""
        return {t["on"] for t in self.lookups} | ({ACTIVITIES_FIELD, "as_of"} if self.windows else set())

    def read_events(self, path: str) -> tuple[pd.DataFrame, object]:
        """A file of activities shaped like the training one (`leadscore score --activities`), checked the
        same way (features/activity_load.py); returns the events and what was left out."""
        from features.activity_load import read_activities
        from features.relations_spec import ActivitiesSpec

        columns = {k: v for k, v in dict(self.event_columns or {}).items() if v is not None}
        return read_activities(ActivitiesSpec(path=path, **columns), sheet_key=None)

    def transform(self, X: LeadsAt | pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "columns_")
        if not isinstance(X, LeadsAt):
            if self.made(X.columns):
                return X  # a training frame this object already made (see the module docstring)
            X = LeadsAt(X)  # leads alone: lookups joined, no activity known, as of now
        frame = self.match(X.frame)[0] if self.lookups else X.frame
        if self.columns_:
            frame = pd.concat([frame, self.engagement(X)], axis=1)
        return frame

    def transform_records(self, records: Sequence[Mapping[str, object]], as_of: pd.Timestamp | None = None
                          ) -> list[dict]:
        """The service's path: each lead (a dict, its activities under 'activities') with the same fields
        `transform` gives; `as_of` the request's time (per lead, a lead's own 'as_of' wins)."""
        check_is_fitted(self, "columns_")
        out = [dict(r) for r in records]
        if self.lookups:
            tables = self._record_tables()
            out = [join_record(r, self._tables(), tables) for r in out]
        if self.columns_:
            default = event_time(as_of if as_of is not None else now_utc(), "as_of")
            times = [event_time(r["as_of"], f"leads.{i}.as_of") if r.get("as_of") is not None else default
                     for i, r in enumerate(records)]
            engaged = features_for_records([r.get(ACTIVITIES_FIELD) for r in records], times,
                                           self.engagement_columns_,
                                           self.types_, self.half_life_days)
            for r, values in zip(out, engaged, strict=True):
                r.pop(ACTIVITIES_FIELD, None)
                r.update(values)
        return out

    def _tables(self) -> list[LookupTable]:
        if self.__dict__.get("_cache_tables") is None:
            self._cache_tables = [LookupTable.from_plain(p) for p in self.lookups]
        return self._cache_tables

    def _record_tables(self) -> list[dict]:
        if self.__dict__.get("_cache_records") is None:
            self._cache_records = [
                {key: {c: p["columns"][c][i] for c in p["columns"]} for i, key in enumerate(p["keys"])}
                for p in self.lookups]
        return self._cache_records

    def __getstate__(self):
        state = super().__getstate__()
        return {k: v for k, v in state.items() if not k.startswith("_cache")}  # rebuilt on first use

    def computed_names(self) -> frozenset[str]:
        """The columns this step adds, by original and safe name (kept: the service asks on every request)."""
        if self.__dict__.get("_cache_computed") is None:
            names = self.output_names()
            self._cache_computed = frozenset(names) | {safe_name(n) for n in names}
        return self._cache_computed

    @property
    def engagement_columns_(self) -> dict[str, EngagementColumn]:
        check_is_fitted(self, "columns_")
        if self.__dict__.get("_cache_columns") is None:
            self._cache_columns = {name: EngagementColumn(**col) for name, col in self.columns_.items()}
        return self._cache_columns



def enrich_records(pipeline, records: Sequence[Mapping[str, object]], as_of: pd.Timestamp | None = None
                   ) -> Sequence[Mapping[str, object]]:
    """The records with the model's LeadContext applied (lookups, engagement); unchanged for a model
    without one (a spec with neither lookups nor activities, or a model saved before they existed)."""
    context = dict(pipeline.steps).get("context")
    return records if context is None else context.transform_records(records, as_of)


def check_fields(records: Sequence[Mapping[str, object]], pipeline=None) -> None:
    """One walk over the request's fields. Only a lead's activities may be a list: any other field holding
    one is the caller's mistake. With a pipeline, a value sent in a field the service computes would be
    overwritten without a word: refused instead."""
    computed = computed_fields(pipeline) if pipeline is not None else frozenset()
    for i, record in enumerate(records):
        for key, value in record.items():
            if isinstance(value, list | tuple | dict) and key != ACTIVITIES_FIELD:
                raise LeadscoreError(f"field {key!r} of lead {i + 1}: only {ACTIVITIES_FIELD!r} may hold a list; send "
                                     "a single value", loc=("leads", i, key))
            if key in computed:
                raise LeadscoreError(f"field {key!r} of lead {i + 1}: expected no value, the service computes it "
                                     f"{_made_from(pipeline, key)}", loc=("leads", i, key))


def _made_from(pipeline, key: str) -> str:
    """Where the service takes a computed field from, and what to send instead: a lookup's key, or activities."""
    for table in dict(pipeline.steps)["context"].lookups:
        if key in table["columns"] or key in {safe_name(c) for c in table["columns"]}:
            return (f"from the lookup table {table['name']!r}, joined by the lead's {table['on']!r}; leave it out "
                    f"and send {table['on']!r}")
    return (f"from the lead's {ACTIVITIES_FIELD!r} and related tables; leave it out and send the lead's activities "
            "([{'at': ISO 8601 time, 'type': ..., 'channel': ...}]) and its key fields")


def computed_fields(pipeline) -> frozenset[str]:
    """Lead fields the model's LeadContext makes (joined lookup columns, engagement features), by original
    and safe name: the service computes them, so a request must not send them."""
    context = dict(pipeline.steps).get("context")
    return frozenset() if context is None else context.computed_names()


def context_fields(pipeline) -> set[str]:
    """Request fields the model's LeadContext reads that are no feature (keys, activities, as_of)."""
    context = dict(pipeline.steps).get("context")
    return set() if context is None else context.key_fields()
