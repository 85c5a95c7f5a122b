"""The model: one scikit-learn Pipeline, LeadEncoder then CalibratedLGBM.

CalibratedLGBM keeps early stopping and calibration inside its own training rows: an inner K-fold
gives out-of-fold raw scores and the best iteration per fold; the calibrator (none, sigmoid or
isotonic, whichever has the lowest cross-validated Brier score) is fitted on those scores; the final
booster is refit on all rows. So no evaluation row is ever used to stop, tune or calibrate.

Explanations are LightGBM's own TreeSHAP (`pred_contrib`): exact for the booster, and it supports
categorical splits. Contributions plus the base value equal the raw log-odds the calibrator reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from features.encoder import LeadEncoder, is_numeric_column

# Conservative defaults for small, noisy lead tables: shallow trees, column and row sampling.
DEFAULT_PARAMS = {
    "learning_rate": 0.03, "num_leaves": 8, "min_child_samples": 20, "reg_lambda": 1.0,
    "colsample_bytree": 0.5, "subsample": 0.8, "cat_smooth": 10.0, "cat_l2": 10.0, "min_data_per_group": 50,
    "path_smooth": 0.001,
}
CALIBRATIONS = ("none", "sigmoid", "isotonic")
HOLDOUT_ROWS = 100_000
SMALL_BATCH = 256


def _booster_params(params: Mapping, seed: int, n_jobs: int) -> dict:
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
    model = lgb.LGBMClassifier(n_estimators=n_estimators, **_booster_params(params, seed, n_jobs))
    if eval_set is None:
        return model.fit(X, y, categorical_feature=list(categorical) or "auto")
    return model.fit(X, y, categorical_feature=list(categorical) or "auto",
                     eval_X=(eval_set[0],), eval_y=(eval_set[1],),
                     callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)])


def inner_cv(X: np.ndarray, y: np.ndarray, params: Mapping, categorical: Sequence[int], folds: int, seed: int,
             n_jobs: int, max_estimators: int = 3000, early_stopping_rounds: int = 50) -> tuple[np.ndarray, list]:
    """Out-of-fold raw log-odds and best iteration per fold, with early stopping on each held part.

    Only ever called on training rows: the caller's evaluation rows never reach it. Rows never held
    out (large tables use one holdout) stay NaN.
    """
    if len(y) >= HOLDOUT_ROWS:  # plenty of rows: one stratified holdout is as good and K times cheaper
        splits = [train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)]
    else:
        splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y))
    # On small tables one thread per fold, folds side by side, is ~1.7x faster than folds one after
    # another with all threads each (LightGBM's threads have too little work per tree there).
    workers = min(n_jobs, len(splits))
    threads = 1 if workers > 1 else n_jobs

    def fit_fold(split):
        fit_rows, held = split
        model = fit_booster(X[fit_rows], y[fit_rows], params, categorical, seed, threads, max_estimators,
                            (X[held], y[held]), early_stopping_rounds)
        return max(1, model.best_iteration_ or max_estimators), model.predict(X[held], raw_score=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        fitted = list(pool.map(fit_fold, splits))
    raw_oof = np.full(len(y), np.nan)
    for (_, held), (_, raw) in zip(splits, fitted, strict=True):
        raw_oof[held] = raw
    return raw_oof, [best for best, _ in fitted]


class _Calibrator:
    """Maps raw log-odds to probabilities; 'none' is the logistic function itself."""

    @staticmethod
    def fit(method: str, raw: np.ndarray, y: np.ndarray):
        if method == "sigmoid":
            return LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
        if method == "isotonic":
            return IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1 - 1e-6).fit(raw, y)
        return None

    @staticmethod
    def apply(calibrator, raw: np.ndarray) -> np.ndarray:
        if calibrator is None:
            return 1.0 / (1.0 + np.exp(-raw))
        if isinstance(calibrator, IsotonicRegression):
            return calibrator.predict(raw)
        return calibrator.predict_proba(raw.reshape(-1, 1))[:, 1]


def choose_calibration(raw: np.ndarray, y: np.ndarray, seed: int, folds: int = 5) -> tuple[str, dict]:
    """Cross-validated Brier score of each calibration on out-of-fold raw scores; lowest wins.

    'none' wins ties: a calibrator is kept only when it improves the Brier score.
    """
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = {}
    for method in CALIBRATIONS:
        error = 0.0
        for fit_rows, held in splitter.split(raw.reshape(-1, 1), y):
            calibrator = _Calibrator.fit(method, raw[fit_rows], y[fit_rows])
            error += float(np.sum((_Calibrator.apply(calibrator, raw[held]) - y[held]) ** 2))
        scores[method] = error / len(y)
    best = min(CALIBRATIONS, key=lambda m: (scores[m] - (1e-12 if m == "none" else 0.0)))
    return best, scores


class CalibratedLGBM(ClassifierMixin, BaseEstimator):
    """LightGBM with early stopping and calibration learned from its own training rows only."""

    def __init__(self, categorical_features: Sequence[int] = (), params: Mapping | None = None,
                 calibration: str = "auto", inner_folds: int = 3, max_estimators: int = 3000,
                 early_stopping_rounds: int = 50, random_state: int = 0, n_jobs: int = 2):
        self.categorical_features = categorical_features
        self.params = params
        self.calibration = calibration
        self.inner_folds = inner_folds
        self.max_estimators = max_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: np.ndarray, y: np.ndarray) -> CalibratedLGBM:
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y).astype(int)
        params, cats = dict(self.params or {}), list(self.categorical_features)
        raw_oof, best = inner_cv(X, y, params, cats, self.inner_folds, self.random_state, self.n_jobs,
                                 self.max_estimators, self.early_stopping_rounds)
        held = ~np.isnan(raw_oof)
        raw_oof, y_held = raw_oof[held], y[held]
        # The final fit sees more rows than each inner fit; ~10% more trees is the usual rule of thumb.
        self.n_estimators_ = max(1, int(round(np.mean(best) * 1.1)))
        if self.calibration == "auto":
            self.calibration_, self.calibration_brier_ = choose_calibration(raw_oof, y_held, self.random_state)
        else:
            self.calibration_, self.calibration_brier_ = self.calibration, {}
        self.calibrator_ = _Calibrator.fit(self.calibration_, raw_oof, y_held)
        self.booster_model_ = fit_booster(X, y, params, cats, self.random_state, self.n_jobs, self.n_estimators_)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def _predict_booster(self, X: np.ndarray, **kind) -> np.ndarray:
        check_is_fitted(self, "booster_model_")
        X = np.asarray(X, dtype=np.float64)
        # One thread for small batches: for a single lead, thread start-up costs more than the trees.
        threads = 1 if len(X) < SMALL_BATCH else self.n_jobs
        return self.booster_model_.booster_.predict(X, num_threads=threads, **kind)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Raw log-odds of the booster (before calibration)."""
        return self._predict_booster(X, raw_score=True)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = _Calibrator.apply(self.calibrator_, self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Probability for given raw log-odds (used to turn contributions into score points)."""
        return _Calibrator.apply(self.calibrator_, np.asarray(raw, dtype=np.float64))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """TreeSHAP per feature plus a last column with the base value, in raw log-odds."""
        return self._predict_booster(X, pred_contrib=True)

    @property
    def feature_importances_(self) -> np.ndarray:
        return self.booster_model_.booster_.feature_importance(importance_type="gain")


def make_pipeline(frame: pd.DataFrame, original_names: Mapping[str, str], missing_values: Sequence[str] = (),
                  params: Mapping | None = None, seed: int = 0, n_jobs: int = 2) -> Pipeline:
    """The model Pipeline for a training frame of feature columns (safe names)."""
    categorical = [i for i, c in enumerate(frame.columns) if not is_numeric_column(frame[c])]
    return Pipeline([
        ("encode", LeadEncoder(original_names=dict(original_names), missing_values=list(missing_values))),
        ("classify", CalibratedLGBM(categorical_features=categorical, params=dict(params or {}),
                                    random_state=seed, n_jobs=n_jobs)),
    ])
