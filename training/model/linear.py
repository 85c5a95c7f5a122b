"""The linear member of the model: a logistic regression on the encoder's matrix, with exact reasons.

Each feature adds one term to the log-odds. A category: its level's coefficient (its own, 'other' or
'missing'). A number: a slope times the scaled value plus its decile bin's coefficient (missing has a
bin of its own), so a straight line where the data is linear and a step shape where it is not
(X Education's time on site, the synthetic export's saturating engagement). A feature's contribution
is its term minus the term's mean over the training rows, so contributions plus the base value
(intercept plus the mean terms) equal the log-odds exactly, as TreeSHAP's do for the booster. The terms
are one flat table lookup plus a product, so scoring one lead costs microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

MAX_ROWS = 200_000  # a linear model has learnt what it can long before a million rows
BINS = 10


class LinearMember:
    """Fitted by `fit`; `decision` gives log-odds, `contributions` the per-feature terms plus base value.
    Fitted state is plain arrays and lists only: what skops stores safely."""

    def __init__(self, C: float = 0.5, seed: int = 0):
        self.C = C
        self.seed = seed

    def _levels(self, X: np.ndarray) -> np.ndarray:
        """Per cell, its level within its feature: category code or number bin; the last level is 'missing'.
        Whole-matrix operations where they can be: the service calls this for one lead at a time."""
        nan = np.isnan(X)
        out = np.empty(X.shape, dtype=np.int64)
        category = self.is_category_
        if category.any():  # codes seen 0..m; anything beyond shares level m+1
            out[:, category] = np.minimum(np.where(nan[:, category], 0.0, X[:, category]), self.levels_[category] - 2)
        for j in np.flatnonzero(~category):
            out[:, j] = np.searchsorted(self.edges_[j], X[:, j], side="right")
        return np.where(nan, self.levels_ - 1, out)

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        return np.where(self.is_category_ | np.isnan(X), 0.0, (X - self.center_) / self.scale_)

    def fit(self, X: np.ndarray, y: np.ndarray, categorical: Sequence[int]) -> LinearMember:
        if len(y) > MAX_ROWS:  # a fixed, seeded sample: same data, same model
            rows = np.sort(np.random.default_rng(self.seed).choice(len(y), MAX_ROWS, replace=False))
            X, y = X[rows], y[rows]
        n, f = X.shape
        self.is_category_ = np.isin(np.arange(f), list(categorical))
        empty = np.isnan(X).all(axis=0)
        numeric = ~self.is_category_ & ~empty
        self.center_, spread = np.zeros(f), np.zeros(f)
        self.center_[numeric] = np.nanmedian(X[:, numeric], axis=0)
        spread[numeric] = np.nanstd(X[:, numeric], axis=0)
        self.scale_ = np.where(spread > 0, spread, 1.0)
        self.edges_ = [np.unique(np.nanquantile(X[:, j], np.linspace(0, 1, BINS + 1)[1:-1])) if numeric[j]
                       else np.array([]) for j in range(f)]
        self.levels_ = np.array([(int(np.nanmax(X[:, j])) + 3 if not empty[j] else 2) if self.is_category_[j]
                                 else len(self.edges_[j]) + 2 for j in range(f)])
        self.offsets_ = np.concatenate([[0], np.cumsum(self.levels_)[:-1]])
        levels = self._levels(X) + self.offsets_
        onehot = sparse.csr_matrix((np.ones(n * f), levels.ravel(), np.arange(0, n * f + 1, f)),
                                   shape=(n, int(self.levels_.sum())))
        design = sparse.hstack([onehot, sparse.csr_matrix(self._scaled(X)[:, numeric])], format="csr")
        model = LogisticRegression(C=self.C, max_iter=2000, random_state=self.seed)
        # BLAS threads only wait for each other on a problem this small (X Education: 1.0 s -> 0.33 s).
        with threadpool_limits(1, user_api="blas"):
            model.fit(design, y)
        coef = model.coef_[0]
        self.coef_levels_ = coef[: int(self.levels_.sum())].copy()
        self.slopes_ = np.zeros(f)
        self.slopes_[numeric] = coef[int(self.levels_.sum()):]
        self.intercept_ = float(model.intercept_[0])
        self.means_ = self._terms(X).mean(axis=0)
        return self

    def _terms(self, X: np.ndarray) -> np.ndarray:
        return self.coef_levels_[self._levels(X) + self.offsets_] + self.slopes_ * self._scaled(X)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature log-odds contributions and a last column with the base value."""
        terms = self._terms(X) - self.means_
        base = self.intercept_ + float(self.means_.sum())
        return np.column_stack([terms, np.full(len(X), base)])

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.intercept_ + self._terms(X).sum(axis=1)
