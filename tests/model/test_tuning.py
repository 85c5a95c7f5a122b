"""The tuner and the inner folds: best-by-its-own-measure, defaults never beaten by a worse trial,
and folds fitted side by side give exactly what folds fitted one after another give."""

import numpy as np
import pytest
from sklearn.metrics import log_loss

from training.model.boost import DEFAULT_PARAMS, inner_cv
from training.model.tune import SEARCHED, TUNE_FOLDS, tune


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(3)
    n = 3000
    X = np.column_stack([rng.normal(size=n), rng.normal(size=n), rng.integers(0, 6, n).astype(float)])
    logit = 1.2 * X[:, 0] - 0.8 * X[:, 1] ** 2 + np.where(X[:, 2] == 2, 1.0, 0.0) - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, [2]


def cv_log_loss(X, y, cats, params):
    raw = inner_cv(X, y, params, cats, TUNE_FOLDS, seed=0, n_jobs=2).log_odds
    return log_loss(y, 1 / (1 + np.exp(-raw)))


def test_no_budget_means_defaults(table):
    X, y, cats = table
    assert tune(X, y, cats, trials=0, minutes=None, seed=0) == {}


def test_tuned_settings_are_at_least_as_good_as_the_defaults_by_the_tuners_measure(table):
    X, y, cats = table
    params = tune(X, y, cats, trials=6, minutes=None, seed=0)
    assert set(params) == set(SEARCHED)  # every searched setting is chosen
    defaults = {k: v for k, v in DEFAULT_PARAMS.items() if k in params}
    assert cv_log_loss(X, y, cats, params) <= cv_log_loss(X, y, cats, defaults) + 1e-12


def test_tuning_leaves_optunas_log_level_as_it_found_it(table):
    import optuna

    X, y, cats = table
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO)
    try:
        tune(X[:600], y[:600], cats, trials=1, minutes=None, seed=0)
        assert optuna.logging.get_verbosity() == optuna.logging.INFO
    finally:
        optuna.logging.set_verbosity(before)


def test_parallel_folds_equal_sequential_folds(table):
    X, y, cats = table
    side_by_side = inner_cv(X, y, DEFAULT_PARAMS, cats, 3, seed=0, n_jobs=2)
    one_by_one = inner_cv(X, y, DEFAULT_PARAMS, cats, 3, seed=0, n_jobs=1)
    np.testing.assert_array_equal(side_by_side[0], one_by_one[0])
    assert side_by_side[1] == one_by_one[1]
    assert not np.isnan(side_by_side[0]).any()  # every row held out once
