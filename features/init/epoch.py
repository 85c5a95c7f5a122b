"""`leadscore init` and Unix epoch times (1717171717 seconds, 1717171717000 milliseconds), as CRM exports
often hold creation times.

A column is proposed as a date only when its name and its values both say so: a name that reads like a
time (created, date, time, ..._at) and whole numbers that all read, in one unit, as times between 2000 and
2100 (features/dates.py epoch_reading). The unit is then written out (`date_format: epoch_s` or
`epoch_ms`) with the range it gives, to check. When only the values speak (an amount, a reference number
that happens to fall in the range), the column stays what it is, with a CHECK line saying what its values
could be; when only the name speaks (time_on_site_sec), nothing is said: its values are no times.
"""

from __future__ import annotations

import re

import pandas as pd

from features.dates import EPOCH_UNITS, DateReading, epoch_reading

# Names of time columns in CRM exports, English or Chinese: data for the guess, not sentences to show.
_TIME_NAME = re.compile(r"(^|[\W_])(at|on|ts|dt|ms|millis|unix|epoch)$|date|time|stamp|creat|added|modified|updated|"
                        r"closed|occur|日期|时间|时刻|创建", re.IGNORECASE)
_WORDS = {"s": "seconds", "ms": "milliseconds"}


def names_a_time(column: object) -> bool:
    return bool(_TIME_NAME.search(str(column)))


def is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def epoch_date(column: object, values: pd.Series) -> DateReading | None:
    """The epoch reading of a number column whose name reads like a time, else None."""
    if not is_number_column(values) or not names_a_time(column):
        return None
    return epoch_reading(values)


def values_only(column: object, values: pd.Series) -> DateReading | None:
    """The epoch reading of a number column whose values could be times but whose name does not say so."""
    if not is_number_column(values) or names_a_time(column):
        return None
    return epoch_reading(values)


def unit_words(reading: DateReading) -> str:
    return f"Unix {_WORDS[EPOCH_UNITS[reading.fmt]]} (UTC)"


def epoch_comment(reading: DateReading) -> str:
    """The comment beside `date_format: epoch_...`: what the unit reads the values as."""
    return f"CHECK: whole numbers read as {unit_words(reading)}: {reading.example}"


def epoch_question(column: str, reading: DateReading, is_id: bool) -> str:
    """The CHECK for a column whose values alone read as times."""
    could = f"its values read as {unit_words(reading)} too ({reading.example}), though its name says no time"
    if is_id:
        return f"{could}: if it is a time, choose another id"
    return (f"{could}: a time? then list it under exclude, or make it created_at with date_format "
            f"\"{reading.fmt}\"; a number (an amount, a count)? then delete this line")
