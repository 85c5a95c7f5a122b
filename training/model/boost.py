"""The boosted member of the model: LightGBM fits with early stopping on inner folds of the training rows.

Only ever called on training rows: the caller's evaluation rows never reach it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import lightgbm as lgb
import numpy as np

from features.folds import holdout, stratified_folds

# Conservative defaults for small, noisy lead tables: shallow trees, column and row sampling.
DEFAULT_PARAMS = {
    "learning_rate": 0.03, "num_leaves": 8, "min_child_samples": 20, "reg_lambda": 1.0,
    "colsample_bytree": 0.5, "subsample": 0.8, "cat_smooth": 10.0, "cat_l2": 10.0, "min_data_per_group": 50,
    "path_smooth": 0.001,
}
HOLDOUT_ROWS = 100_000
# Large tables: bigger trees and bigger steps. Small, noisy lead tables need the shallow, slow defaults
# above; with hundreds of thousands of rows those defaults need thousands of trees, while deeper trees
# learn the same in a fraction of the rounds (docs/benchmarks.md, "Large-table parameters").
LARGE_TABLE_PARAMS = {"learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 100}


def scaled_defaults(rows: int) -> dict:
    """Default overrides by table size: the budget scales with the data."""
    return dict(LARGE_TABLE_PARAMS) if rows >= HOLDOUT_ROWS else {}


def booster_params(params: Mapping, seed: int, n_jobs: int) -> dict:
    merged = {**DEFAULT_PARAMS, **params}
    return {
        **merged, "objective": "binary", "random_state": seed, "n_jobs": n_jobs, "verbose": -1,
        "subsample_freq": 1 if merged.get("subsample", 1.0) < 1.0 else 0,
        "deterministic": True, "force_col_wise": True,  # same data, seed -> same model
    }


def fit_booster(X: np.ndarray, y: np.ndarray, params: Mapping, categorical: Sequence[int], seed: int,
                n_jobs: int, n_estimators: int, eval_set: tuple | None = None,
                early_stopping_rounds: int = 50) -> lgb.LGBMClassifier:
    """One LightGBM fit; with eval_set, stops early on it."""
    model = lgb.LGBMClassifier(n_estimators=n_estimators, **booster_params(params, seed, n_jobs))
    if eval_set is None:
        return model.fit(X, y, categorical_feature=list(categorical) or "auto")
    return model.fit(X, y, categorical_feature=list(categorical) or "auto",
                     eval_X=(eval_set[0],), eval_y=(eval_set[1],),
                     callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)])


def inner_splits(y: np.ndarray, folds: int, seed: int, groups=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold of the training rows; large tables use one stratified 20% holdout (as good, K
    times cheaper). With `groups` (a lead id per row), a lead's rows stay on one side (features/folds.py)."""
    if len(y) >= HOLDOUT_ROWS:
        return [holdout(y, 0.2, seed, groups)]
    return stratified_folds(y, folds, seed, groups)


class InnerFolds(NamedTuple):
    log_odds: np.ndarray  # out-of-fold raw log-odds; rows never held out (one holdout) stay NaN
    best_iterations: list[int]  # per fold, where early stopping stopped
    boosters: list[lgb.Booster]  # per fold, the booster itself (training/model/bagging.py may serve their mean)


def inner_cv(X: np.ndarray, y: np.ndarray, params: Mapping, categorical: Sequence[int], folds: int, seed: int,
             n_jobs: int, max_estimators: int = 3000, early_stopping_rounds: int = 50,
             splits: list | None = None, groups=None) -> InnerFolds:
    """Out-of-fold raw log-odds, best iteration and booster per fold, with early stopping on each held part."""
    splits = inner_splits(y, folds, seed, groups) if splits is None else splits
    # On small tables one thread per fold, folds side by side, is ~1.7x faster than folds one after
    # another with all threads each (LightGBM's threads have too little work per tree there).
    workers = min(n_jobs, len(splits))
    threads = 1 if workers > 1 else n_jobs

    def fit_fold(split):
        fit_rows, held = split
        model = fit_booster(X[fit_rows], y[fit_rows], params, categorical, seed, threads, max_estimators,
                            (X[held], y[held]), early_stopping_rounds)
        best = max(1, model.best_iteration_ or max_estimators)
        return best, model.predict(X[held], raw_score=True), model.booster_

    with ThreadPoolExecutor(max_workers=workers) as pool:
        fitted = list(pool.map(fit_fold, splits))
    raw_oof = np.full(len(y), np.nan)
    for (_, held), (_, raw, _) in zip(splits, fitted, strict=True):
        raw_oof[held] = raw
    return InnerFolds(raw_oof, [best for best, _, _ in fitted], [booster for _, _, booster in fitted])
