"""Dates are never guessed: a column is read with its declared strftime pattern, as ISO 8601, or with a
day/month order that the values themselves prove (some value above 12 in exactly one position).

Anything else (01-02-2018 could be 1 February or 2 January) stops with the column, an example read
both ways and the spec key to set. `detect_format` is also what `leadscore init` writes into a spec.
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
    """Parse a date column (naive UTC); errors name the column, a row, its lead id and the key `key`."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
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
