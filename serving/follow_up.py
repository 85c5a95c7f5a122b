"""By when a rep follows a lead up: its creation time (or its last activity, when the service config names
that field) plus its band's deadline (`within_hours` of the band's action).

The time is read as the model's spec reads it (its `date_format`, else ISO 8601), never guessed: a value
that does not read so is a 422 naming the field. The answer keeps the lead's own clock: a time sent with a
zone keeps it, a time sent without one gets none; a Unix time (`epoch_s`, `epoch_ms`) is UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from features.dates import EPOCH_UNITS
from features.errors import LeadscoreError


def lead_time(lead: Mapping[str, object], field: str, date_format: str | None, row: int) -> datetime | None:
    value = lead.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        text = str(value).strip()
        if date_format in EPOCH_UNITS:
            if isinstance(value, bool):
                raise ValueError(value)
            return datetime.fromtimestamp(float(text) / (1000 if EPOCH_UNITS[date_format] == "ms" else 1), tz=UTC)
        return datetime.strptime(text, date_format) if date_format else datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):  # OverflowError, OSError: a number beyond any date
        how = f"the format {date_format!r} (the model's spec, leads.date_format)" if date_format else "ISO 8601"
        raise LeadscoreError(f"field {field!r} of lead {row + 1}: expected a date in {how}; send it so, or "
                             "leave it out", loc=("leads", row, field)) from None


def follow_up_by(lead: Mapping[str, object], row: int, within_hours: float | None, created_field: str | None,
                 date_format: str | None, activity_field: str | None = None) -> str | None:
    """ISO time by which to follow the lead up; None when its band has no deadline or it has no time.
    A time that does not read as a date is refused whatever the band: the same lead must not pass or fail
    with its score."""
    activity = lead_time(lead, activity_field, date_format, row) if activity_field else None
    created = lead_time(lead, created_field, date_format, row) if created_field else None
    start = activity or created
    if start is None or within_hours is None:
        return None
    return (start + timedelta(hours=within_hours)).isoformat(timespec="seconds")
