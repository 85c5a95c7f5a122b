"""Tests and cuts of one column, shared by the encoder, the leak guard, the baselines and drift checks."""

from __future__ import annotations

import numpy as np
import pandas as pd


def is_numeric_column(values: pd.Series) -> bool:
    """Numbers are numbers; booleans are categories (True/False read better as values than as 1/0)."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def quantile_edges(numbers, bins: int) -> np.ndarray:
    """The inner cut points of `bins` equal-count bins of the non-missing `numbers` (ties merged);
    empty when nothing is known."""
    numbers = np.asarray(numbers, dtype="float64")
    present = numbers[~np.isnan(numbers)]
    if present.size == 0:
        return np.array([])
    return np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
