"""Dates are never guessed: a column is read with its declared strftime pattern, as ISO 8601, or with a
day/month order that the values themselves prove (some value above 12 in exactly one position).

Anything else (01-02-2018 could be 1 February or 2 January) stops with the column, an example read
both ways and the spec key to set. `detect_format` is also what `leadscore init` writes into a spec.

Unix epoch times (1717171717 seconds, 1717171717000 milliseconds) are read only when the spec says so
(`date_format: epoch_s` or `epoch_ms`): a number is never taken for a time by itself. `epoch_reading`
says whether a column's values could be one; `leadscore init` proposes it only when the column's name
says so too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from features.errors import LeadscoreError
from features.messages import shown

ISO = "ISO8601"
# A zone may follow the time after a space ("2024-03-05 14:22:01 +0800"), as CRM exports write it.
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?( ?(Z|[+-]\d{2}:?\d{2}))?$")
# Three numbers split by one separator, then an optional clock time.
_NUMERIC = re.compile(r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?:([ T])(\d{1,2}:\d{2}(?::\d{2})?))?$")
_SAMPLE = 20_000
EPOCH_UNITS = {"epoch_s": "s", "epoch_ms": "ms"}  # date_format values for Unix times, UTC
# Times init may take for epoch values (with a column name that says so); the two units' ranges do not overlap.
PLAUSIBLE = (pd.Timestamp("2000-01-01"), pd.Timestamp("2100-01-01"))
# A declared unit that reads a value outside these years is the wrong unit (seconds read as milliseconds
# land in January 1970, milliseconds read as seconds tens of thousands of years on): an error, not a date.
DECLARED = (pd.Timestamp("1980-01-01"), pd.Timestamp("2100-01-01"))


@dataclass(frozen=True)
class DateReading:
    """How a column's dates read: `fmt` a strftime pattern or ISO; `ambiguous` both readings when unproven."""

    fmt: str | None
    ambiguous: tuple[str, str] | None = None  # (day-first pattern, month-first pattern)
    example: str | None = None


def _time_part(values: pd.Series) -> str:
    clock = values.str.extract(_NUMERIC)[5].dropna()
    if clock.empty:
        return ""
    return " %H:%M:%S" if clock.str.count(":").max() == 2 else " %H:%M"


def detect_format(values: pd.Series) -> DateReading:
    """The reading of a text date column, from its values alone (a sample of the distinct ones)."""
    values = values.dropna()
    if len(values) > 5 * _SAMPLE:
        # A sample is safe: a proof missing from it makes the column a question (never a misreading), and a
        # value the sample contradicts fails to parse with the detected pattern, naming its row.
        values = values.sample(5 * _SAMPLE, random_state=0)
    text = pd.Series(values.astype("string").str.strip().unique())
    text = text[text != ""]
    if len(text) > _SAMPLE:
        text = text.sample(_SAMPLE, random_state=0)
    # Most values decide the reading; the few that do not fit are then reported with their row.
    if text.empty or text.str.match(_ISO).mean() >= 0.5:
        return DateReading(ISO)
    parts = text.str.extract(_NUMERIC)
    if parts[0].isna().mean() > 0.5:
        return DateReading(None)
    text, parts = text[parts[0].notna()], parts.dropna(subset=[0])
    sep = parts[1].iloc[0]
    if (parts[1] != sep).any():
        return DateReading(None)
    first, middle, last = (parts[i].astype(int) for i in (0, 2, 3))
    year_first = parts[0].str.len().eq(4).all()
    if year_first:
        a, b, year = middle, last, "%Y"
        layout = "{y}{s}{a}{s}{b}"
    elif parts[3].str.len().isin([2, 4]).all() and parts[3].str.len().nunique() == 1:
        a, b, year = first, middle, "%Y" if parts[3].str.len().iloc[0] == 4 else "%y"
        layout = "{a}{s}{b}{s}{y}"
    else:
        return DateReading(None)
    clock = _time_part(text)
    day_a, day_b = (a > 12).any(), (b > 12).any()
    patterns = {order: layout.format(y=year, s=sep, a=order[0], b=order[1]) + clock
                for order in (("%d", "%m"), ("%m", "%d"))}
    if day_a and not day_b:
        return DateReading(patterns[("%d", "%m")])
    if day_b and not day_a:
        return DateReading(patterns[("%m", "%d")])
    if day_a and day_b:
        return DateReading(None)  # both positions above 12: not one consistent day/month order
    example = text[(a != b)].iloc[0] if (a != b).any() else text.iloc[0]
    return DateReading(None, ambiguous=(patterns[("%d", "%m")], patterns[("%m", "%d")]), example=example)


def _whole_numbers(values: pd.Series) -> pd.Series | None:
    """The column as Int64 when every filled value is a whole number (read as numbers or as digits), else None."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if not pd.api.types.is_numeric_dtype(values):
        text = values.astype("string").str.strip().replace("", pd.NA)
        if not text.dropna().str.fullmatch(r"[+-]?\d+").all():
            return None
        values = pd.to_numeric(text, errors="coerce")
    present = values.dropna()
    if pd.api.types.is_float_dtype(values) and not (present == present.round()).all():
        return None
    try:
        return values.astype("Int64")
    except (TypeError, ValueError, OverflowError):  # beyond 64 bits: no time either
        return None


def _from_epoch(numbers: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(numbers, unit=EPOCH_UNITS[fmt], errors="coerce")


def epoch_reading(values: pd.Series) -> DateReading | None:
    """`epoch_s` or `epoch_ms` when every filled value is a whole number that reads, in that unit, as a time in
    PLAUSIBLE (its first and last as `example`); None otherwise. Values alone: whether the column is a time
    at all is for its name to say (init) or the spec (the build)."""
    numbers = _whole_numbers(values)
    if numbers is None or numbers.notna().sum() == 0:
        return None
    low, high = (int((t - pd.Timestamp(0)).total_seconds()) for t in PLAUSIBLE)
    present = numbers.dropna()
    for fmt, scale in (("epoch_s", 1), ("epoch_ms", 1000)):
        if present.min() >= low * scale and present.max() < high * scale:
            first, last = (_from_epoch(pd.Series([v]), fmt).iloc[0] for v in (present.min(), present.max()))
            return DateReading(fmt, example=f"{first:%Y-%m-%d %H:%M:%S} to {last:%Y-%m-%d %H:%M:%S} UTC")
    return None


def looks_like_dates(values: pd.Series, share: float = 0.9) -> bool:
    """A column whose filled values (nearly all) read as dates: ISO 8601 with or without a time, or the
    day-first and month-first forms the build reads. Checked before any personal-data pattern: 2016-10-20
    is a date, never a phone number."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    text = values.dropna().astype("string").str.strip()
    text = text[text != ""].head(2000)
    if len(text) == 0:
        return False
    return float((text.str.match(_ISO) | text.str.match(_NUMERIC)).mean()) >= share


def date_values(values: pd.Series) -> pd.Series | None:
    """The column as dates when its values prove a reading (ISO or a proven order), else None."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    epoch = epoch_reading(values) if pd.api.types.is_numeric_dtype(values) else None
    if epoch is not None:
        return _from_epoch(_whole_numbers(values), epoch.fmt)
    text = values.astype("string").str.strip().replace("", pd.NA)
    reading = detect_format(text.dropna())
    if reading.fmt is None:
        return None
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format=reading.fmt)
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None)


def _read_as(value: str, fmt: str) -> str:
    return str(pd.to_datetime(value, format=fmt).date())


def parse_dates(values: pd.Series, fmt: str | None, source: str, column: str, key: str,
                ids: pd.Series) -> pd.Series:
    """Parse a date column (naive UTC); errors name the column, a row, its lead id and the key `key`.
    Datetime cells (Excel, Parquet) are taken as they are, whatever `fmt` says of text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    elif fmt in EPOCH_UNITS:
        return _parse_epoch(values, fmt, source, column, key, ids)
    else:
        text = values.astype("string").str.strip()
        if fmt is None:
            reading = detect_format(text)
            if reading.ambiguous:
                day, month = reading.ambiguous
                raise LeadscoreError(
                    f"{source}: column {column!r} has dates such as {reading.example!r} that read as "
                    f"{_read_as(reading.example, day)} (day first) or {_read_as(reading.example, month)} "
                    f"(month first); set '{key}' in the spec to \"{day}\" or \"{month}\"")
            fmt = reading.fmt
            if fmt is None:
                example = text.dropna().iloc[0] if text.notna().any() else ""
                raise LeadscoreError(
                    f"{source}: column {column!r} holds {example!r}, which is not ISO 8601 (2026-03-31 14:05) "
                    f"nor a day/month order its values prove; set '{key}' in the spec, e.g. \"%d/%m/%Y %H:%M\"")
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format=fmt)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        pattern = "ISO 8601" if fmt in (None, ISO) else f"'{key}' \"{fmt}\""
        raise LeadscoreError(
            f"{source}: column {column!r} has {int(bad.sum())} value(s) that are not dates read as {pattern}, "
            f"e.g. data row {row + 1} (lead id {shown(ids.iloc[row])}) holds {shown(values.iloc[row])}; "
            f"fix the value or set '{key}' to the export's pattern")
    return parsed.astype("datetime64[ns]")


def _parse_epoch(values: pd.Series, fmt: str, source: str, column: str, key: str, ids: pd.Series) -> pd.Series:
    """Seconds or milliseconds since 1970 (UTC), whole numbers exactly; a value that is no number, or that
    the unit reads outside DECLARED, names its row."""
    text = values.astype("string").str.strip().replace("", pd.NA) if not pd.api.types.is_numeric_dtype(values) \
        else values
    # float64 holds every whole number of milliseconds up to the year 287,000 exactly
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    scale = 1000 if fmt == "epoch_ms" else 1
    low, high = ((t - pd.Timestamp(0)).total_seconds() * scale for t in DECLARED)
    good = (numbers >= low) & (numbers < high)
    bad = text.notna() & ~good
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        other = "epoch_ms" if fmt == "epoch_s" else "epoch_s"
        why = "is not a number" if pd.isna(numbers.iloc[row]) else \
            f"is no time between {DECLARED[0].year} and {DECLARED[1].year - 1} in that unit"
        raise LeadscoreError(
            f"{source}: column {column!r} has {int(bad.sum())} value(s) that are not times in '{key}' \"{fmt}\", "
            f"e.g. data row {row + 1} (lead id {shown(ids.iloc[row])}) holds {shown(values.iloc[row])}, which {why}; "
            f"fix the value, or set '{key}' to \"{other}\" if the column counts in that unit")
    whole = bool((numbers.dropna() == numbers.dropna().round()).all())
    return _from_epoch(numbers.astype("Int64") if whole else numbers, fmt).astype("datetime64[ns]")
