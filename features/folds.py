"""Row splits that keep a lead's rows together: the leak guard's folds and the learner's inner splits.

Snapshot training rows (features/snapshots.py) give a lead several rows. Split as rows, a lead sits on
both sides: its lead-wide values are learnt on one side and scored on the other, so early stopping, the
blend and the calibration are chosen on scores that are too good. Given `groups` (a lead id per row),
every split here keeps each group on one side. Without groups, or when every group has one row (one row
per lead), the splits are the plain stratified ones, exactly as without this module: same splitter,
same seed use, same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split


def row_groups(groups) -> np.ndarray | None:
    """Integer group per row, or None when there is nothing to keep together (no groups, or one row each)."""
    if groups is None:
        return None
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)), use_na_sentinel=False)
    return None if len(uniques) == len(codes) else codes.astype(np.int64)


def stratified_folds(y: np.ndarray, n_folds: int, seed: int, groups=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit rows, held rows) of a shuffled stratified K-fold; with groups, a group's rows share a fold."""
    codes = row_groups(groups)
    if codes is None:
        return list(StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, codes))


def _whole_groups(codes: np.ndarray, rows: int, seed: int) -> np.ndarray:
    """Rows of whole groups, taken in a seeded random order of the groups until `rows` rows are reached."""
    order = np.random.default_rng(seed).permutation(int(codes.max()) + 1)
    sizes = np.bincount(codes)[order]
    taken = order[: int(np.searchsorted(np.cumsum(sizes), rows)) + 1]
    return np.flatnonzero(np.isin(codes, taken))


def holdout(y: np.ndarray, share: float, seed: int, groups=None) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, held rows) with about `share` of the rows held: stratified, or, with groups, whole
    groups (on the large tables this serves, a random set of leads holds the positive rate closely)."""
    codes = row_groups(groups)
    if codes is None:
        fit, held = train_test_split(np.arange(len(y)), test_size=share, stratify=y, random_state=seed)
        return fit, held
    held = _whole_groups(codes, int(round(share * len(y))), seed)
    return np.setdiff1d(np.arange(len(y)), held), held


def sample(y: np.ndarray, rows: int, seed: int, groups=None) -> np.ndarray:
    """Positions of a sample of about `rows` rows: stratified, or, with groups, whole groups."""
    codes = row_groups(groups)
    if codes is None:
        picked, _ = train_test_split(np.arange(len(y)), train_size=rows, stratify=y, random_state=seed)
        return picked
    return _whole_groups(codes, rows, seed)
