"""Derived leaks: two time or date columns whose difference alone separates the outcome (the call's
length from its start and end times is the well-known leak of call-campaign exports). Each column
alone may look harmless; their difference is named with its figure ("CallEnd − CallStart: 0.81")."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from features.clock import clock_series, is_clock_column
from features.dates import date_values, looks_like_dates
from features.leakage import assign_folds, single_column_auc

MAX_COLUMNS = 12  # pairs of at most this many time columns are tried


def time_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Columns holding times of day, durations or dates, as seconds (dates: seconds since 1970)."""
    found = {}
    for column in frame.columns:
        values = frame[column]
        if is_clock_column(values):
            found[column] = clock_series(values)
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            continue
        elif looks_like_dates(values):
            parsed = date_values(values)
            if parsed is not None:
                found[column] = (parsed - pd.Timestamp("1970-01-01")).dt.total_seconds()
        if len(found) >= MAX_COLUMNS:
            break
    return found


def derived_leaks(frame: pd.DataFrame, y: np.ndarray, warn: float, folds: int = 5,
                  seed: int = 0) -> list[tuple[str, str, float]]:
    """(later column, earlier column, ROC-AUC) of each pair whose difference alone reaches `warn`."""
    times = time_columns(frame)
    if len(times) < 2 or y.min() == y.max():
        return []
    fold = assign_folds(y, folds, seed)
    found = []
    for a, b in combinations(times, 2):
        first, second = (a, b) if np.nanmedian(times[b] - times[a]) >= 0 else (b, a)
        difference = (times[second] - times[first]).reset_index(drop=True)
        if difference.notna().sum() < 10:
            continue
        auc = single_column_auc(difference, y, fold)
        if auc >= warn:
            found.append((second, first, auc))
    return sorted(found, key=lambda t: -t[2])


def named(leak: tuple[str, str, float]) -> str:
    return f"{leak[0]} − {leak[1]}"
