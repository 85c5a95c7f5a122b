"""The model: one scikit-learn Pipeline, LeadEncoder then LeadClassifier.

LeadClassifier blends two members in log-odds space: early-stopped LightGBM (training/model/boost.py) and a
logistic regression (training/model/linear.py). Everything it learns comes from its own training rows: an
inner K-fold gives each member's out-of-fold log-odds and the booster's best iteration per fold; the
blend weight (0 = logistic only, 1 = LightGBM only, steps of 0.1) is the one with the lowest out-of-fold
log loss, so on data with one strong linear signal the logistic model may be what is served, and on data
with interactions LightGBM; the calibrator (none, sigmoid or isotonic, whichever has the lowest
cross-validated Brier score) is fitted on the blended out-of-fold log-odds; the logistic member and the
booster are then refit on all rows. (`bag_folds=True` serves the mean of the inner folds' boosters
instead of the refit booster: training/model/bagging.py. Measured on 43 lead tables it bought nothing, +0.0004
ROC-AUC on average with a standard error of 0.0004, for 2.7 times the trees to explain, so it is off by
default; see `make bench-bagging`.) No evaluation row is ever used to stop, tune, blend or calibrate.
With snapshot rows (several per lead), `fit(X, y, groups=lead ids)` keeps each lead's rows on one side of
every inner split, the tuner's folds and its sample (features/folds.py); through the Pipeline it is
`classify__groups`. Without groups, or with one row per lead, the splits are the plain stratified ones.
Given `learned` (an earlier fit's `learned_`, from part of the same rows), a fit skips the inner folds
and reuses those choices: the final fit of a large table after its evaluation fit (training/fit/train.py).

Reasons stay exact: the served log-odds is w x booster + (1 - w) x linear, so its contributions are w x
TreeSHAP + (1 - w) x the linear terms, and they add up with the base value to the log-odds (1e-6).
Calibration is a monotone map applied on top of that log-odds (probability = calibrator(log-odds)): it
never reorders leads, and explain.py shares the probability change out over the features in proportion
to their log-odds contributions, so score points add up too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from features.columns import is_numeric_column
from features.encoder import LeadEncoder
from features.folds import row_groups
from training.explain.treeshap import FEW_ROWS, tables_for, tree_contributions
from training.model.bagging import mean_booster
from training.model.blend import apply_calibrator, choose_calibration, choose_weight, fit_calibrator
from training.model.boost import fit_booster, inner_cv, inner_splits, scaled_defaults
from training.model.linear import LinearMember
from training.model.tune import tune

LINEAR_C = (0.05, 0.5)  # the logistic member's L2 choices, tried on the inner folds
SMALL_BATCH = 256
TABLE_BATCH = 500  # from here on, TreeSHAP from precomputed tables (training/explain/treeshap.py) pays off, and
# up to FEW_ROWS leads too (the service's one-lead requests), checked lead by lead there
MANY_ROWS = 50_000


class LeadClassifier(ClassifierMixin, BaseEstimator):
    """LightGBM and logistic regression blended in log-odds, calibrated; all learned in `fit`."""

    def __init__(self, categorical_features: Sequence[int] = (), params: Mapping | None = None,
                 calibration: str = "auto", blend: str | float = "auto", inner_folds: int = 3,
                 max_estimators: int = 3000, early_stopping_rounds: int = 50, linear_c: str | float = "auto",
                 tune_trials: int = 0, tune_minutes: float | None = None, random_state: int = 0, n_jobs: int = 2,
                 learned: Mapping | None = None, bag_folds: bool = False):
        self.categorical_features = categorical_features
        self.params = params
        self.calibration = calibration
        self.blend = blend
        self.inner_folds = inner_folds
        self.max_estimators = max_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.linear_c = linear_c
        self.tune_trials = tune_trials
        self.tune_minutes = tune_minutes  # for this fit; TrainOptions.tune_minutes is the run's, split over its fits
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.learned = learned
        self.bag_folds = bag_folds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are information in lead data
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: np.ndarray, y: np.ndarray, progress=None, groups=None) -> LeadClassifier:
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(f"Only binary classification is supported. The type of the target is {y_type}.")
        self.classes_, y = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            found = "only one class" if len(self.classes_) == 1 else f"{len(self.classes_)} classes"
            raise ValueError(f"LeadClassifier needs exactly two classes (converted or not); y has {found}")
        cats, seed = list(self.categorical_features), self.random_state
        if self.learned:
            self._reuse_choices(self.learned)
            fold_boosters = []
        else:
            if groups is not None and len(groups) != len(y):
                raise ValueError(f"groups has {len(groups)} entries for {len(y)} rows")
            fold_boosters = self._learn_choices(X, y, cats, progress, row_groups(groups))
        self.bagged_folds_ = len(fold_boosters) if self.bag_folds and len(fold_boosters) > 1 else 0
        if self.bagged_folds_:
            # Serve the inner folds' boosters, averaged (training/model/bagging.py): no refit on all rows.
            self.linear_ = LinearMember(self.linear_c_, seed).fit(X, y, cats)
            self.booster_ = mean_booster(fold_boosters)
        # Small tables: one thread for the booster, the linear member beside it. LightGBM's threads have
        # too little work per tree there, and on a busy machine they mostly wait for each other. Large
        # tables: the linear member first, then the booster on all threads: beside a third busy thread
        # those threads wait for each other too (docs/benchmarks.md, "Threads of the two members").
        elif len(y) < MANY_ROWS:
            with ThreadPoolExecutor(max_workers=2) as pool:
                booster = pool.submit(fit_booster, X, y, self.params_, cats, seed, 1, self.n_estimators_)
                self.linear_ = LinearMember(self.linear_c_, seed).fit(X, y, cats)
                self.booster_ = booster.result().booster_
        else:
            self.linear_ = LinearMember(self.linear_c_, seed).fit(X, y, cats)
            self.booster_ = fit_booster(X, y, self.params_, cats, seed, self.n_jobs, self.n_estimators_).booster_
        return self

    @property
    def learned_(self) -> dict:
        """The choices this fit made on its inner folds: what a later fit on more rows may reuse."""
        check_is_fitted(self, "weight_")
        return {"params": dict(self.params_), "linear_c": self.linear_c_, "weight": self.weight_,
                "calibration": self.calibration_, "calibrator": self.calibrator_, "n_estimators": self.n_estimators_}

    def _reuse_choices(self, learned: Mapping) -> None:
        self.params_, self.linear_c_, self.weight_ = dict(learned["params"]), learned["linear_c"], learned["weight"]
        self.calibration_, self.calibrator_ = learned["calibration"], learned["calibrator"]
        self.n_estimators_, self.blend_log_loss_, self.calibration_brier_ = learned["n_estimators"], {}, {}

    def _learn_choices(self, X, y, cats, progress, groups=None) -> list:
        """Tuning (if asked), the tree count, the logistic penalty, the blend weight and the calibrator,
        all from inner folds of the training rows (a group's rows on one side). Returns the inner folds'
        boosters."""
        seed = self.random_state
        params = {**scaled_defaults(len(y)), **(self.params or {})}
        if self.tune_trials > 0 or self.tune_minutes:  # opt-in: defaults win on most lead tables
            params.update(tune(X, y, cats, self.tune_trials, self.tune_minutes, seed, self.n_jobs, progress,
                               groups=groups))
        self.params_ = params
        splits = inner_splits(y, self.inner_folds, seed, groups)
        boosted, best, fold_boosters = inner_cv(X, y, params, cats, self.inner_folds, seed, self.n_jobs,
                                                self.max_estimators, self.early_stopping_rounds, splits=splits)
        self.linear_c_, linear = self._inner_linear(X, y, cats, splits)
        held = ~np.isnan(boosted)
        boosted, linear, y_held = boosted[held], linear[held], y[held]
        if self.blend == "auto":
            self.weight_, self.blend_log_loss_ = choose_weight(boosted, linear, y_held)
        else:
            self.weight_, self.blend_log_loss_ = float(self.blend), {}
        blended = self.weight_ * boosted + (1 - self.weight_) * linear
        if self.calibration == "auto":
            self.calibration_, self.calibration_brier_ = choose_calibration(
                blended, y_held, seed, groups=None if groups is None else groups[held])
        else:
            self.calibration_, self.calibration_brier_ = self.calibration, {}
        self.calibrator_ = fit_calibrator(self.calibration_, blended, y_held)
        # The final fit sees more rows than each inner fit; ~10% more trees is the usual rule of thumb.
        self.n_estimators_ = max(1, int(round(np.mean(best) * 1.1)))
        return fold_boosters

    def _inner_linear(self, X, y, cats, splits) -> tuple[float, np.ndarray]:
        """The linear member's regularisation (lowest out-of-fold log loss on the inner folds) and its
        out-of-fold log-odds. Few positives (rare outcomes, small exports) want a stronger penalty."""
        choices = LINEAR_C if self.linear_c == "auto" else (float(self.linear_c),)
        best, best_loss, best_oof = None, np.inf, None
        for c in choices:
            oof = np.full(len(y), np.nan)
            for fit_rows, held_rows in splits:
                oof[held_rows] = LinearMember(c, self.random_state).fit(X[fit_rows], y[fit_rows], cats).decision(
                    X[held_rows])
            held = ~np.isnan(oof)
            loss = log_loss(y[held], 1.0 / (1.0 + np.exp(-oof[held])), labels=[0, 1])
            if loss < best_loss - 1e-9:
                best, best_loss, best_oof = c, loss, oof
        return best, best_oof

    @property
    def kind_(self) -> str:
        """What is served: 'lightgbm', 'logistic' or 'blend' (both, weighted in log-odds)."""
        check_is_fitted(self, "weight_")
        return {1.0: "lightgbm", 0.0: "logistic"}.get(self.weight_, "blend")

    @property
    def trees_(self) -> lgb.Booster:
        """The LightGBM member (models saved before bagging kept the LGBMClassifier of their refit)."""
        return self.booster_ if hasattr(self, "booster_") else self.booster_model_.booster_

    def _booster(self, X: np.ndarray, **kind) -> np.ndarray:
        # One thread for small batches: for a single lead, thread start-up costs more than the trees.
        threads = 1 if len(X) < SMALL_BATCH else self.n_jobs
        booster = self.trees_
        if kind.get("pred_contrib") and (len(X) <= FEW_ROWS or len(X) >= TABLE_BATCH):
            return tree_contributions(booster, X, threads)
        return booster.predict(X, num_threads=threads, **kind)

    def warm_up(self) -> None:
        """Build the TreeSHAP tables now (a service does it at model load), not in the first big batch."""
        check_is_fitted(self, "weight_")
        if self.weight_ > 0 and (tables := tables_for(self.trees_)) is not None:
            tables.contributions(np.zeros((1, self.n_features_in_)))  # loads (or compiles) the kernel too

    def member_log_odds(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Each member's own log-odds (for the run's table of candidates)."""
        check_is_fitted(self, "weight_")
        X = np.asarray(X, dtype=np.float64)
        return {"lightgbm": self._booster(X, raw_score=True), "logistic": self.linear_.decision(X)}

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The served log-odds (before calibration)."""
        check_is_fitted(self, "weight_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        # The members' own scores, not the sum of the contributions: the same numbers (LightGBM's
        # contributions add up to its raw score) without paying for TreeSHAP when no reason is needed.
        w = self.weight_
        if w == 1.0:
            return self._booster(X, raw_score=True)
        if w == 0.0:
            return self.linear_.decision(X)
        return w * self._booster(X, raw_score=True) + (1 - w) * self.linear_.decision(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        raw = self.decision_function(X)
        p = apply_calibrator(self.calibrator_, raw)
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] >= 0.5
        return self.classes_[positive.astype(int)]

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Probability for given log-odds (used to turn contributions into score points)."""
        check_is_fitted(self, "weight_")
        return apply_calibrator(self.calibrator_, np.asarray(raw, dtype=np.float64))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature log-odds contributions plus a last column with the base value; members with
        weight zero are not computed. (The service's hot path: a shape check, not full validation.)"""
        check_is_fitted(self, "weight_")
        X, w = np.asarray(X, dtype=np.float64), self.weight_
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has shape {X.shape}; LeadClassifier was fitted on {self.n_features_in_} features")
        if w == 1.0:
            return self._booster(X, pred_contrib=True)
        if w == 0.0:
            return self.linear_.contributions(X)
        return w * self._booster(X, pred_contrib=True) + (1 - w) * self.linear_.contributions(X)

    @property
    def feature_importances_(self) -> np.ndarray:
        return self.trees_.feature_importance(importance_type="gain")


def make_pipeline(frame: pd.DataFrame, original_names: Mapping[str, str], missing_values: Sequence[str] = (),
                  seed: int = 0, n_jobs: int = 2, context=None, **learner) -> Pipeline:
    """The model Pipeline for a training frame of feature columns (safe names); `learner` goes to
    LeadClassifier (params, tune_trials, tune_minutes, blend, ...). `context`: the build's fitted
    LeadContext (features/context.py), first step when the spec has lookups or activities; frozen, since
    what it learned (activity types kept, lookup tables) belongs to the build, not to each fit."""
    categorical = [i for i, c in enumerate(frame.columns) if not is_numeric_column(frame[c])]
    steps = [
        ("encode", LeadEncoder(original_names=dict(original_names), missing_values=list(missing_values))),
        ("classify", LeadClassifier(categorical_features=categorical, random_state=seed, n_jobs=n_jobs, **learner)),
    ]
    if context is not None:
        from sklearn.frozen import FrozenEstimator

        steps.insert(0, ("context", FrozenEstimator(context)))
    return Pipeline(steps)
