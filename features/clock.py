"""Times of day and durations (`13:45:20`, `0:01:10`) are numbers of seconds, not categories: read so
by the build, the encoder (batch and service) and init, so the call's length can be a difference."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

CLOCK = re.compile(r"^\s*(\d{1,3}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?\s*$")
SHARE = 0.9  # of a column's filled values, to read it as clock times


def clock_seconds(text: str) -> float | None:
    """Seconds of 'H:MM' or 'H:MM:SS' (hours may exceed 24 for durations); None for anything else."""
    found = CLOCK.match(str(text))
    if not found:
        return None
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds or 0)


def clock_series(values: pd.Series) -> pd.Series:
    """Seconds per value (NaN where a value is missing or not a clock time)."""
    text = values.astype("string").str.strip()
    parts = text.str.extract(CLOCK)
    seconds = parts[0].astype("float64") * 3600 + parts[1].astype("float64") * 60 + \
        parts[2].astype("float64").fillna(0.0)
    return pd.Series(seconds.to_numpy(dtype=np.float64, na_value=np.nan), index=values.index)


def is_clock_column(values: pd.Series) -> bool:
    """A text column whose filled values are (nearly all) clock times."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    text = values.dropna().astype("string").str.strip()
    text = text[text != ""].head(2000)
    return len(text) >= 5 and float(text.str.match(CLOCK).mean()) >= SHARE
