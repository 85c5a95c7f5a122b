"""Read an activity table and say what is wrong with it: unknown lead ids, duplicates, events dated in
the future, times with and without a zone side by side. Counted with examples (and left out), or one
error naming the table, column and row; never a traceback."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from features.dates import EPOCH_UNITS, parse_dates
from features.errors import LeadscoreError
from features.keys import duplicated_rows, id_text, positions_in, text_codes
from features.load import load_table, require_columns
from features.messages import shown
from features.relations_spec import ActivitiesSpec

EXAMPLES = 5
WARN_SHARE = 0.01
ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


@dataclass
class ActivityReport:
    """What reading the activity table found, kept in the profile."""

    rows: int = 0
    used: int = 0
    unknown_leads: int = 0
    unknown_examples: list[str] = field(default_factory=list)
    duplicates: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    future: int = 0
    future_examples: list[str] = field(default_factory=list)
    empty: int = 0
    after_prediction_time: int = 0  # events later than their row's prediction time: never features
    won_before_prediction_time: int = 0  # leads already won when they would be scored: left out

    def warnings(self) -> list[str]:
        found = []
        if self.rows and self.unknown_leads / self.rows > WARN_SHARE:
            found.append(f"activities: {self.unknown_leads:,} of {self.rows:,} events name a lead id that is not in "
                         f"the leads, e.g. {', '.join(map(repr, self.unknown_examples))}; check 'activities.lead_id'")
        if self.duplicates:
            found.append(f"activities: {self.duplicates:,} events repeat another (same lead, time, type and "
                         f"channel) and count once, e.g. {'; '.join(self.duplicate_examples)}")
        if self.future:
            found.append(f"activities: {self.future:,} events are dated in the future and are left out, e.g. "
                         f"{'; '.join(self.future_examples)}; check 'activities.date_format'")
        if self.empty:
            found.append(f"activities: {self.empty:,} events have no lead id, time or type and are left out")
        return found

    def as_dict(self) -> dict:
        return asdict(self)


def zone_examples(text: pd.Series) -> tuple[tuple[int, str] | None, tuple[int, str] | None]:
    """(row, value) of the first time with a zone and of the first without one (None: there is none)."""
    zoned = text.str.contains(ZONE, na=False).to_numpy()
    bare = ~zoned & text.notna().to_numpy()
    return tuple((int(found.argmax()), text.iloc[int(found.argmax())]) if found.any() else None
                 for found in (zoned, bare))


def zones_question(zoned: tuple[int, str] | None, bare: tuple[int, str] | None, spec: ActivitiesSpec,
                   source: str) -> None:
    """Times with a zone beside times without one (`zone_examples`, rows counted from the table's start):
    the bare ones' zone is a question for the user."""
    if spec.timezone is None and zoned and bare:
        raise LeadscoreError(
            f"{source}: column {spec.at!r} has times with a zone (data row {zoned[0] + 1}: {zoned[1]!r}) and times "
            f"without one (data row {bare[0] + 1}: {bare[1]!r}); set 'activities.timezone' to the zone of the "
            "times without one, e.g. \"UTC\" or \"Asia/Shanghai\"")


def check_zones(text: pd.Series, spec: ActivitiesSpec, source: str) -> None:
    """Times with a zone beside times without one: the bare ones' zone is a question for the user."""
    if spec.timezone is None:
        zones_question(*zone_examples(text), spec, source)


def event_times(values: pd.Series, spec: ActivitiesSpec, source: str, ids: pd.Series) -> pd.Series:
    """The event times as naive UTC; bare times read in 'activities.timezone' when it is set."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return parse_dates(values, None, source, spec.at, "activities.date_format", ids)
    if spec.date_format in EPOCH_UNITS:  # Unix times are UTC: no zone to check or apply
        return parse_dates(values, spec.date_format, source, spec.at, "activities.date_format", ids)
    text = values.astype("string").str.strip()
    check_zones(text, spec, source)
    if spec.timezone is None:
        return parse_dates(text, spec.date_format, source, spec.at, "activities.date_format", ids)
    zoned = text.str.contains(ZONE, na=False)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if zoned.any():
        out[zoned] = parse_dates(text[zoned], spec.date_format, source, spec.at, "activities.date_format",
                                 ids[zoned])
    if (~zoned).any():
        naive = parse_dates(text[~zoned], spec.date_format, source, spec.at, "activities.date_format", ids[~zoned])
        try:
            out[~zoned] = naive.dt.tz_localize(spec.timezone, ambiguous="NaT", nonexistent="NaT") \
                .dt.tz_convert("UTC").dt.tz_localize(None)
        except Exception:  # an unknown zone name
            raise LeadscoreError(f"'activities.timezone' {spec.timezone!r} is not a time zone; use e.g. \"UTC\" or "
                                 "\"Europe/Berlin\"") from None
    return out


def read_activities(spec: ActivitiesSpec, lead_ids: pd.Series | None = None, now: pd.Timestamp | None = None,
                    sheet_key: str | None = "activities.sheet") -> tuple[pd.DataFrame, ActivityReport]:
    """The events as (lead, at, type[, channel]) with what was left out counted in the report.
    `lead_ids`: the leads the events must belong to (None: any); `sheet_key`: what names the sheet of a
    workbook (None: nothing can, as for `leadscore score --activities`)."""
    source = spec.describe()
    table = load_table(spec.path, spec.sql, "activities", spec.encoding, spec.sheet, sheet_key)
    needed = [spec.lead_id, spec.at, spec.type] + [c for c in (spec.channel, spec.value) if c]
    require_columns(table, needed, source, "activities.lead_id / .at / .type / .channel / .value")
    return normalise_events(table, spec, source, lead_ids, now)


def normalise_events(table: pd.DataFrame, spec: ActivitiesSpec, source: str, lead_ids: pd.Series | None = None,
                     now: pd.Timestamp | None = None) -> tuple[pd.DataFrame, ActivityReport]:
    return checked_events(parsed_events(table, spec, source), lead_ids, now)


def parsed_events(table: pd.DataFrame, spec: ActivitiesSpec, source: str, lead: pd.Series | None = None
                  ) -> pd.DataFrame:
    """The table as events (lead, at, type[, channel]): text stripped, times parsed as naive UTC.
    `lead`: the lead ids as text when the caller made them (the Dask engine reads ids as the leads' ids)."""
    lead = id_text(table[spec.lead_id]).str.strip() if lead is None else lead
    kind = table[spec.type].astype("string").str.strip()
    at = event_times(table[spec.at], spec, source, lead.fillna(""))
    events = pd.DataFrame({"lead": lead, "at": at, "type": kind})
    if spec.channel:
        events["channel"] = table[spec.channel].astype("string").str.strip()
    return events


def checked_events(events: pd.DataFrame, lead_ids: pd.Series | None = None, now: pd.Timestamp | None = None
                   ) -> tuple[pd.DataFrame, ActivityReport]:
    """The events kept: none empty, dated in the future, of an unknown lead (when `lead_ids` is given) or
    repeating another; what was left out is counted, with examples, in the report."""
    report = ActivityReport(rows=len(events))
    empty = (events["lead"].isna() | events["at"].isna() | events["type"].isna() | (events["type"] == "")).to_numpy()
    report.empty = int(empty.sum())
    keep = ~empty  # each check below counts among the events still kept; the table is cut once, at the end
    now = now if now is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    future = (events["at"] > now + pd.Timedelta(days=1)).to_numpy() & keep
    if future.any():
        report.future = int(future.sum())
        report.future_examples = [f"lead {shown(r.lead)} {r.type!r} at {r.at}" for r in
                                  events.iloc[np.flatnonzero(future)[:EXAMPLES]].itertuples()]
        keep &= ~future
    if lead_ids is not None:
        lead_code = positions_in(events["lead"], lead_ids)
        unknown = (lead_code < 0) & keep
        report.unknown_leads = int(unknown.sum())
        report.unknown_examples = list(dict.fromkeys(events["lead"].iloc[np.flatnonzero(unknown)[:200]].tolist())
                                       )[:EXAMPLES]
        keep &= ~unknown
    else:
        lead_code = text_codes(events["lead"])
    at_ns = events["at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    duplicated = duplicated_rows(events, [lead_code, at_ns], keep)
    if duplicated.any():
        report.duplicates = int(duplicated.sum())
        report.duplicate_examples = [f"lead {shown(r.lead)} {r.type!r} at {r.at}" for r in
                                     events.iloc[np.flatnonzero(duplicated)[:EXAMPLES]].itertuples()]
        keep &= ~duplicated
    events = events.iloc[np.flatnonzero(keep)] if not keep.all() else events
    report.used = len(events)
    return events.reset_index(drop=True), report
