"""Drift: a compact summary of the training distribution (kept in the model's metadata) and the
population stability index (PSI) of new data against it.

Numeric features: ten quantile bins of the training values plus a missing bin. Categorical features:
the twenty most frequent values, one bin for every other value (new campaigns land there) and a
missing bin. A few kilobytes per model, whatever the number of training rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.columns import is_numeric_column, quantile_edges

NUMERIC_BINS = 10
TOP_VALUES = 20
OTHER, MISSING = "__other__", "__missing__"
EPSILON = 1e-4  # floor for empty bins: PSI stays finite when a bin is empty on one side


def summarize_training(frame: pd.DataFrame, names: dict[str, str]) -> dict:
    """{display name: {"kind", "edges" or "values", "shares"}} for every feature column of `frame`."""
    summary = {}
    for column in frame.columns:
        values = frame[column]
        name = names.get(column, column)
        if is_numeric_column(values):
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            edges = quantile_edges(numbers, NUMERIC_BINS)
            entry = {"kind": "numeric", "edges": [float(e) for e in edges]}
        else:
            counts = values.dropna().astype(str).value_counts()
            entry = {"kind": "categorical", "values": [str(v) for v in counts.index[:TOP_VALUES]]}
        entry["shares"] = [float(s) for s in bin_shares(values, entry)]
        summary[name] = entry
    return summary


def bin_shares(values: pd.Series, entry: dict) -> np.ndarray:
    """Share of `values` in each bin of a summary entry (last bin: missing)."""
    n = max(len(values), 1)
    if entry["kind"] == "numeric":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(numbers)
        index = np.searchsorted(np.asarray(entry["edges"], dtype=float), numbers[~missing], side="right")
        counts = np.bincount(index, minlength=len(entry["edges"]) + 1)
        return np.append(counts, missing.sum()) / n
    text = values.astype("string")
    missing = text.isna().to_numpy()
    counts = text[~missing].value_counts()
    known = [int(counts.get(v, 0)) for v in entry["values"]]
    other = int(counts.sum()) - sum(known)
    return np.array([*known, other, missing.sum()], dtype=float) / n


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index: sum over bins of (actual - expected) * ln(actual / expected)."""
    e = np.maximum(np.asarray(expected, dtype=float), EPSILON)
    a = np.maximum(np.asarray(actual, dtype=float), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def feature_psi(frame: pd.DataFrame, summary: dict) -> dict[str, float]:
    """PSI per summarised feature present in `frame` (columns by display name)."""
    return {name: psi(entry["shares"], bin_shares(frame[name], entry))
            for name, entry in summary.items() if name in frame.columns}
