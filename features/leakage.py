"""Leak guard: a column that on its own separates the outcome suspiciously well stops the build.

Each column is scored by the out-of-fold ROC-AUC of its own target encoding: the conversion rate of
the column's value (numeric columns in quantile bins, missing as its own value) learned on the other
folds. A copy of the label scores 1.0; X Education's Tags about 0.92; honest columns far less.
Strength alone cannot catch every leak, which is why the spec also declares known_after_contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.columns import is_numeric_column, quantile_edges
from features.errors import LeadscoreError
from features.folds import stratified_folds

_BINS = 20
_PRIOR_WEIGHT = 10.0  # smoothing towards the overall rate, so a value seen twice cannot look perfect


@dataclass(frozen=True)
class ColumnStrength:
    column: str
    auc: float


def value_codes(values: pd.Series) -> np.ndarray:
    """Integer code per row: quantile bin for numbers, category for text; missing gets its own code."""
    if is_numeric_column(values):
        numbers = values.astype("float64").to_numpy()
        if np.isnan(numbers).all():
            return np.zeros(len(values), dtype=np.int64)
        edges = quantile_edges(numbers, _BINS)
        codes = np.searchsorted(edges, numbers, side="right") + 1
        codes[np.isnan(numbers)] = 0
        return codes.astype(np.int64)
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64) + 1  # missing (-1) becomes 0


def single_column_auc(values: pd.Series, y: np.ndarray, folds: np.ndarray) -> float:
    """Out-of-fold ROC-AUC of one column's target encoding."""
    codes = value_codes(values)
    n_codes = int(codes.max()) + 1
    oof = np.empty(len(y), dtype=np.float64)
    for fold in np.unique(folds):
        held = folds == fold
        fit_codes, fit_y = codes[~held], y[~held]
        prior = fit_y.mean()
        counts = np.bincount(fit_codes, minlength=n_codes)
        wins = np.bincount(fit_codes, weights=fit_y, minlength=n_codes)
        rate = (wins + _PRIOR_WEIGHT * prior) / (counts + _PRIOR_WEIGHT)
        oof[held] = rate[codes[held]]
    return float(roc_auc_score(y, oof))


def assign_folds(y: np.ndarray, n_folds: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Stratified fold number per row; with `groups` (a lead's snapshot rows), a group's rows share a fold."""
    folds = np.empty(len(y), dtype=np.int64)
    for k, (_, held) in enumerate(stratified_folds(y, n_folds, seed, groups)):
        folds[held] = k
    return folds


def column_strengths(frame: pd.DataFrame, y: np.ndarray, n_folds: int, seed: int,
                     groups: np.ndarray | None = None) -> list[ColumnStrength]:
    """Every column's single-column out-of-fold ROC-AUC, strongest first; `groups`: rows that must share
    a fold (a lead's snapshot rows, whose lead-wide values would otherwise be seen on both sides)."""
    folds = assign_folds(y, n_folds, seed, groups)
    strengths = [ColumnStrength(c, single_column_auc(frame[c], y, folds)) for c in frame.columns]
    return sorted(strengths, key=lambda s: s.auc, reverse=True)


def check_leaks(
    strengths: list[ColumnStrength], threshold: float, allow: set[str], original: dict[str, str]
) -> None:
    """Stop when a column not in `allow` reaches the threshold; the message names column and figure."""
    suspects = [s for s in strengths if s.auc >= threshold and original.get(s.column, s.column) not in allow]
    if suspects:
        listed = ", ".join(f"{original.get(s.column, s.column)!r} (ROC-AUC {s.auc:.3f})" for s in suspects)
        raise LeadscoreError(
            f"leak guard: {listed} alone separate(s) the outcome at or above {threshold:.2f} out-of-fold "
            "ROC-AUC. A column filled in after sales contact leaks the outcome: add it to "
            "'features.known_after_contact' (or 'exclude'). If it is truly known before contact, list it "
            "in 'features.allow_strong'."
        )


def leak_warnings(strengths: list[ColumnStrength], warn: float, original: dict[str, str],
                  allow: set[str]) -> list[dict]:
    """Columns strong enough to question (at or above `warn`) that the build let through; those listed in
    `allow_strong` are the ones the team declared honest (kept for the model card, not warned about again)."""
    return [{"column": original.get(s.column, s.column), "auc": round(s.auc, 4),
             "declared_honest": original.get(s.column, s.column) in allow,
             "advice": "filled in after contact? then list it under 'features.known_after_contact'; known "
                       "before contact? then list it under 'features.allow_strong'"}
            for s in strengths if s.auc >= warn]
