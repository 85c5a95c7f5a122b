"""Activity events -> engagement features per lead, as of a prediction time (point-in-time).

Like Feast's get_historical_features and Featuretools' cutoff times: every row has its own prediction
time, and only events at or before it count; an event after it cannot reach a feature. Per row:
counts per activity type per window, days since the last activity and since the last of each type, the
number of distinct types, a decayed engagement sum (each event weighs 0.5 ** (age / half-life)), and the
first and last touch channel. Types beyond the `max_types` most frequent share 'other', so the number
of features stays bounded whatever the CRM logs.

One aggregation (`aggregate`) serves every caller: the table path (build, batch scoring) and the
record path (the service's request with its activities) only turn their input into the same arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from features.errors import LeadscoreError
from features.keys import positions_in

DAY_NS = 86_400 * 10**9
EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
OTHER = "other"
LAST_ANY = "days since last activity"
DISTINCT = "activity types"
DECAYED = "engagement score"
FIRST_CHANNEL, LAST_CHANNEL = "first touch channel", "last touch channel"


@dataclass(frozen=True)
class EngagementColumn:
    """What an engagement feature counts, for plain-word reasons: kind, activity type, window in days."""

    kind: str  # "count", "since", "since_any", "distinct", "decayed", "first_channel", "last_channel"
    type: str | None = None
    window: int | None = None


def count_name(kind: str, window: int) -> str:
    return f"{kind} in the last {window} days"


def since_name(kind: str) -> str:
    return f"days since last {kind}"


def engagement_columns(types: Sequence[str], windows: Sequence[int], grouped: bool,
                       channel: bool) -> dict[str, EngagementColumn]:
    """Every engagement feature (original name -> what it counts), in a fixed order."""
    kinds = list(types) + ([OTHER] if grouped else [])
    columns = {count_name(t, w): EngagementColumn("count", t, w) for w in windows for t in kinds}
    columns[LAST_ANY] = EngagementColumn("since_any")
    columns.update({since_name(t): EngagementColumn("since", t) for t in types})
    columns[DISTINCT] = EngagementColumn("distinct")
    columns[DECAYED] = EngagementColumn("decayed")
    if channel:
        columns[FIRST_CHANNEL] = EngagementColumn("first_channel")
        columns[LAST_CHANNEL] = EngagementColumn("last_channel")
    return columns


def kept_types(types: pd.Series, max_types: int, min_count: int) -> tuple[list[str], bool]:
    """The types that get their own features (most frequent first, at least `min_count` events) and
    whether any other type exists (it then counts as 'other')."""
    return kept_types_counted(types.value_counts(), max_types, min_count)


def kept_types_counted(counts: pd.Series, max_types: int, min_count: int) -> tuple[list[str], bool]:
    """`kept_types` from the events' counts per type (the Dask engine sums them over its buckets)."""
    kept = sorted((t for t, c in counts.items() if c >= min_count and t != OTHER),
                  key=lambda t: (-counts[t], t))[:max_types]
    return kept, bool(len(set(counts.index) - set(kept)))


def aggregate(n: int, row: np.ndarray, age_days: np.ndarray, type_code: np.ndarray, channel: np.ndarray | None,
              columns: Mapping[str, EngagementColumn], types: Sequence[str], half_life_days: float,
              channel_values: pd.Series | None = None) -> dict:
    """The engagement features of `n` rows from their events: `row` (which row each event belongs to),
    `age_days` (prediction time minus event time; negative = after it, never counted), `type_code` (index
    into `types`, len(types) for 'other'), `channel` (each event's channel, or with `channel_values` its
    position there: the table path reads only the channels it returns). Returns original name -> values
    (float, or object channels)."""
    known = age_days >= 0  # an event after the prediction time was not known then
    row, age, code = row[known], age_days[known], type_code[known]
    n_types = len(types) + 1
    cell = row * n_types + code
    out: dict[str, np.ndarray] = {}
    by_window: dict[int, np.ndarray] = {}
    for name, col in columns.items():
        if col.kind == "count":
            if col.window not in by_window:
                inside = age < col.window
                by_window[col.window] = np.bincount(cell[inside], minlength=n * n_types).reshape(n, n_types)
            t = len(types) if col.type == OTHER else types.index(col.type)
            out[name] = by_window[col.window][:, t].astype(np.float64)
    order = np.lexsort((age, row))  # per row, most recent first
    row_sorted, age_sorted = row[order], age[order]
    starts = np.flatnonzero(np.r_[True, row_sorted[1:] != row_sorted[:-1]]) if len(row_sorted) else np.array([], int)
    ends = np.r_[starts[1:], len(row_sorted)] - 1 if len(starts) else starts
    present = row_sorted[starts] if len(starts) else np.array([], int)
    last = np.full(n, np.nan)
    last[present] = age_sorted[starts]
    out[LAST_ANY] = np.round(last, 3)
    if any(c.kind == "since" for c in columns.values()):
        by_cell = np.lexsort((age, cell))
        cells_sorted, ages_by_cell = cell[by_cell], age[by_cell]
        first_of_cell = np.flatnonzero(np.r_[True, cells_sorted[1:] != cells_sorted[:-1]]) if len(cell) else []
        per_type = np.full(n * n_types, np.nan)
        per_type[cells_sorted[first_of_cell]] = ages_by_cell[first_of_cell]
        per_type = per_type.reshape(n, n_types)
        for name, col in columns.items():
            if col.kind == "since":
                out[name] = np.round(per_type[:, types.index(col.type)], 3)
    seen = np.bincount(cell, minlength=n * n_types).reshape(n, n_types) > 0
    out[DISTINCT] = seen.sum(axis=1).astype(np.float64)
    out[DECAYED] = np.round(np.bincount(row, weights=np.power(0.5, age / half_life_days), minlength=n), 4)
    if FIRST_CHANNEL in columns:
        first = np.full(n, None, dtype=object)
        latest = np.full(n, None, dtype=object)
        if channel is not None and len(starts):
            channel_sorted = channel[known][order]
            latest[present] = _channels(channel_sorted[starts], channel_values)
            first[present] = _channels(channel_sorted[ends], channel_values)
        out[FIRST_CHANNEL], out[LAST_CHANNEL] = first, latest
    return {name: out[name] for name in columns}


def _channels(picked: np.ndarray, values: pd.Series | None) -> np.ndarray:
    return picked if values is None else values.iloc[picked].to_numpy(dtype=object)


def type_codes(types: Sequence[str], values) -> np.ndarray:
    lookup = {t: i for i, t in enumerate(types)}
    return np.fromiter((lookup.get(v, len(types)) for v in values), dtype=np.int64, count=len(values))


def event_rows(row_ids: pd.Series, event_leads: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(event position, row position) pairs: each event goes to every row of its lead, since a lead has
    one row at a fixed age but several with snapshots. Events of no row's lead are left out."""
    if pd.Index(row_ids.astype("string")).is_unique:
        row = positions_in(event_leads, row_ids)
        event = np.flatnonzero(row >= 0)
        return event, row[event]
    uniques = pd.Series(pd.unique(row_ids.astype("string")), dtype="string")
    codes = positions_in(row_ids, uniques)  # each row's lead, numbered in order of first appearance
    rows_by_lead = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(uniques))
    starts = np.cumsum(counts) - counts
    lead = positions_in(event_leads, uniques)
    hit = np.flatnonzero(lead >= 0)
    per_event = counts[lead[hit]]
    event = np.repeat(hit, per_event)
    offset = np.arange(int(per_event.sum())) - np.repeat(np.cumsum(per_event) - per_event, per_event)
    return event, rows_by_lead[np.repeat(starts[lead[hit]], per_event) + offset].astype(np.int64)


def features_for_table(row_ids: pd.Series, as_of: np.ndarray, events: pd.DataFrame | None,
                       columns: Mapping[str, EngagementColumn], types: Sequence[str],
                       half_life_days: float) -> pd.DataFrame:
    """Engagement features of rows (one per lead id, or several: snapshots) from a normalised events table
    (lead, at, type[, channel]); `as_of` is each row's prediction time (datetime64[ns])."""
    n = len(row_ids)
    channel_values = None
    if events is None or events.empty:
        row = np.array([], dtype=np.int64)
        age = np.array([], dtype=np.float64)
        code, channel = np.array([], dtype=np.int64), None
    else:
        event, row = event_rows(row_ids, events["lead"])
        as_of_ns = np.asarray(as_of, dtype="datetime64[ns]").astype(np.int64)
        age = (as_of_ns[row] - events["at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)[event]) / DAY_NS
        known = age >= 0  # dropped here already: a lead's snapshot rows would otherwise repeat its later events
        event, row, age = event[known], row[known], age[known]
        code = positions_in(events["type"].iloc[event], pd.Series(list(types), dtype="string"))
        code[code < 0] = len(types)
        if "channel" in events:  # event positions: only each row's first and last channel is ever read
            channel, channel_values = event, events["channel"]
        else:
            channel = None
    values = aggregate(n, row.astype(np.int64), age, code, channel, columns, types, half_life_days, channel_values)
    frame = pd.DataFrame(values, index=row_ids.index)
    # The same types with or without events (an empty bincount is integers, a column of None has no type):
    # the Dask engine's buckets are written to Parquet one by one and read back as one table.
    frame[DECAYED] = frame[DECAYED].astype("float64")
    return frame.astype({c: "string" for c in (FIRST_CHANNEL, LAST_CHANNEL) if c in frame})


def event_time(value: object, where: str) -> int:
    """An event time of a request as UTC nanoseconds since 1970; a time without a zone is read as UTC.

    A Python int, not int64: RFC 3339 times span years 1 to 9999, beyond int64 nanoseconds, and only the
    difference of two times (an age in days) is ever used."""
    if isinstance(value, str):  # the service's hot path: the standard library parses ISO 8601 fastest
        nanoseconds = _iso_ns(value)
        if nanoseconds is not None:
            return nanoseconds
    loc = tuple(int(p) if p.isdigit() else p for p in where.split("."))
    # Text is ISO 8601 or refused: pandas would also read 'now', '12:00' or '2020' (and fail on 'Jan'
    # with an error of its own), times the request never meant. Objects come from the service itself.
    if isinstance(value, str) or not isinstance(value, datetime | pd.Timestamp | np.datetime64):
        raise LeadscoreError(f"{where}: expected a date and time as ISO 8601 text; send e.g. 2026-03-31T14:05:00Z",
                             loc=loc)
    try:
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return int(stamp.as_unit("ns").value)
    except (ValueError, TypeError, OverflowError):  # the message never quotes the value: it may be personal
        raise LeadscoreError(f"{where}: expected a date and time; send ISO 8601, e.g. 2026-03-31T14:05:00Z",
                             loc=loc) from None


def _iso_ns(text: str) -> int | None:
    """ISO 8601 text as UTC nanoseconds since 1970 (no zone: UTC); None when it is not such a time."""
    parsed = _rfc3339(text)
    if parsed is None:
        return None
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return (parsed - EPOCH) // MICROSECOND * 1000


def _rfc3339(text: str) -> datetime | None:
    """ISO 8601 as Python reads it, plus what RFC 3339 also allows: a lower-case 't' or 'z', and a leap
    second (:60, read as :59, the last second that exists)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    fixed = text.upper() if len(text) > 10 else text
    if len(fixed) > 19 and fixed[10] in "T " and fixed[17:19] == "60":
        fixed = fixed[:17] + "59" + fixed[19:]
    try:
        return datetime.fromisoformat(fixed)
    except ValueError:
        return None


def features_for_records(activities: Sequence[Sequence[Mapping] | None], as_of_ns: Sequence[int],
                         columns: Mapping[str, EngagementColumn], types: Sequence[str],
                         half_life_days: float) -> list[dict]:
    """The same features for the service: each lead's activities as sent ({at, type, channel}), without
    pandas on the hot path."""
    rows, ages, kinds, channels = [], [], [], []
    for r, events in enumerate(activities):
        if events is not None and not isinstance(events, list | tuple):
            raise LeadscoreError(f"leads.{r}.activities: expected a list of activities; send [] or "
                                 "[{'at': '2026-03-31T14:05:00Z', 'type': ..., 'channel': ...}]",
                                 loc=("leads", r, "activities"))
        for k, event in enumerate(events or ()):
            if type(event) is dict and type(event.get("type")) is str and type(event.get("at")) is str and \
                    (event.get("channel") is None or type(event["channel"]) is str):
                at = _iso_ns(event["at"])  # the usual activity, checked without building its error messages
                if at is not None:
                    rows.append(r)
                    ages.append((as_of_ns[r] - at) / DAY_NS)
                    kinds.append(event["type"])
                    channels.append(event.get("channel"))
                    continue
            where = f"leads.{r}.activities.{k}"
            if not isinstance(event, Mapping) or "at" not in event or "type" not in event:
                raise LeadscoreError(f"{where}: expected an activity with 'at' (a time) and 'type'; send "
                                     "{'at': '2026-03-31T14:05:00Z', 'type': ..., 'channel': ...}",
                                     loc=("leads", r, "activities", k))
            for key in ("type", "channel"):
                if not isinstance(event.get(key), str) and not (key == "channel" and event.get(key) is None):
                    raise LeadscoreError(f"{where}.{key}: expected text; send the activity's {key} as text"
                                         + (" or null" if key == "channel" else ""),
                                         loc=("leads", r, "activities", k, key))
            rows.append(r)
            ages.append((as_of_ns[r] - event_time(event["at"], where)) / DAY_NS)
            kinds.append(str(event["type"]))
            channels.append(None if event.get("channel") is None else str(event["channel"]))
    if len(activities) <= SMALL_LEADS and len(rows) <= SMALL_EVENTS:
        codes = type_codes(types, kinds).tolist()
        weights = np.power(0.5, np.asarray(ages, dtype=np.float64) / half_life_days).tolist()
        plan = _plan(columns, types)
        return [_one_lead([(a, c, ch, w) for row, a, c, ch, w in zip(rows, ages, codes, channels, weights, strict=True)
                           if row == r and a >= 0], plan) for r in range(len(activities))]
    values = aggregate(len(activities), np.asarray(rows, dtype=np.int64), np.asarray(ages, dtype=np.float64),
                       type_codes(types, kinds), np.asarray(channels, dtype=object), columns, types, half_life_days)
    return [{name: _plain(v[r]) for name, v in values.items()} for r in range(len(activities))]


# A request of a few leads with a few events each: plain Python over its events costs a fraction of the
# array set-up `aggregate` pays per call. Beyond these, the arrays are faster.
SMALL_LEADS, SMALL_EVENTS = 16, 2_000


def _plan(columns: Mapping[str, EngagementColumn], types: Sequence[str]) -> list[tuple[str, str, int, int | None]]:
    """(name, kind, type code, window) per feature, the type code as `aggregate` numbers it."""
    code = {t: i for i, t in enumerate(types)}
    return [(name, col.kind, len(types) if col.type == OTHER else code.get(col.type, -1), col.window)
            for name, col in columns.items()]


def _rounded(value: float | None, digits: int) -> float | None:
    """numpy's round (scale, round half to even, unscale), so both paths give the same bits."""
    return None if value is None else round(value * 10 ** digits) / 10 ** digits


def _one_lead(events: list[tuple[float, int, object, float]], plan) -> dict:
    """`aggregate`'s features of one lead from its known events (age in days, type code, channel, weight
    0.5 ** (age / half-life) as numpy computes it), in the order they were sent; the same values, as
    plain Python."""
    last_any = min((e[0] for e in events), default=None)
    since: dict[int, float] = {}
    for age, code, _, _ in events:
        if code not in since or age < since[code]:
            since[code] = age
    decayed = 0.0
    for event in events:  # added in order, as numpy's bincount adds them
        decayed += event[3]
    latest = first = None
    if events:  # ties in time: the latest is the first sent of them, the first touch the last sent
        latest = min(range(len(events)), key=lambda i: (events[i][0], i))
        first = max(range(len(events)), key=lambda i: (events[i][0], i))
    counts: dict[tuple[int, int], int] = {}
    windows = {p[3] for p in plan if p[1] == "count"}
    for age, code, _, _ in events:
        for window in windows:
            if age < window:
                counts[window, code] = counts.get((window, code), 0) + 1
    out = {}
    for name, kind, code, window in plan:
        if kind == "count":
            out[name] = float(counts.get((window, code), 0))
        elif kind == "since":
            out[name] = _rounded(since.get(code), 3)
        elif kind == "since_any":
            out[name] = _rounded(last_any, 3)
        elif kind == "distinct":
            out[name] = float(len(since))
        elif kind == "decayed":
            out[name] = _rounded(decayed, 4)
        elif kind == "first_channel":
            out[name] = None if first is None else events[first][2]
        elif kind == "last_channel":
            out[name] = None if latest is None else events[latest][2]
    return out


def _plain(value: object) -> object:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value
