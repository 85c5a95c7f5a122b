"""The table TreeSHAP (training/explain/treeshap.py) gives LightGBM's own pred_contrib numbers, whatever the
splits: numeric with each missing-value rule, categorical (unseen, negative and missing codes), and
falls back to pred_contrib where tables cannot or must not be used."""

import logging

import lightgbm as lgb
import numpy as np
import pytest

from training.explain import treeshap


def _data(rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 8))
    X[:, 2] = rng.integers(-1, 40, rows)  # categorical: -1 and codes unseen in training appear too
    X[:, 3] = rng.integers(0, 4, rows)
    X[rng.random(rows) < 0.2, 0] = np.nan
    X[rng.random(rows) < 0.1, 2] = np.nan
    X[rng.random(rows) < 0.3, 4] = 0.0
    return X


def _booster(leaves: int, zero_as_missing: bool = False, use_missing: bool = True) -> lgb.Booster:
    X = _data(4000, 0)
    X[:, 2] = np.clip(X[:, 2], 0, 30)
    rng = np.random.default_rng(1)
    signal = X[:, 1] + np.nan_to_num(X[:, 0], nan=1.0) + (X[:, 2] % 3 == 0) + (X[:, 4] == 0) - X[:, 3] / 2
    y = (signal + rng.normal(size=len(X)) > 0.5).astype(int)
    model = lgb.LGBMClassifier(n_estimators=60, num_leaves=leaves, min_child_samples=10, verbose=-1,
                               zero_as_missing=zero_as_missing, use_missing=use_missing, random_state=0)
    return model.fit(X, y, categorical_feature=[2, 3]).booster_


@pytest.mark.parametrize("leaves, zero_as_missing, use_missing",  # 2-11 leaves: one table per tree; 31: per leaf
                         [(2, False, True), (8, False, True), (8, True, True), (8, False, False), (11, False, True),
                          (31, False, True), (31, True, True)])
def test_tables_equal_lightgbm_pred_contrib(leaves, zero_as_missing, use_missing):
    booster = _booster(leaves, zero_as_missing, use_missing)
    X = _data(3000, 2)
    tables = treeshap.TreeTables(booster)
    expected = booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(tables.contributions(X), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(tables.contributions(X, threads=2), expected, rtol=0, atol=1e-9)
    # and they add up to the booster's log-odds, as reasons need
    np.testing.assert_allclose(tables.contributions(X).sum(axis=1), booster.predict(X, raw_score=True), atol=1e-9)


def test_paths_testing_too_many_features_use_lightgbm(monkeypatch):
    monkeypatch.setattr(treeshap, "MAX_PATH_FEATURES", 2)
    booster = _booster(leaves=31)
    assert treeshap.tables_for(booster) is None
    X = _data(600, 3)
    np.testing.assert_array_equal(treeshap.tree_contributions(booster, X, 1), booster.predict(X, pred_contrib=True))


@pytest.mark.parametrize("rows", [600, 1, treeshap.FEW_ROWS])  # a probed batch; leads checked one by one
def test_a_table_that_disagrees_is_never_used(caplog, rows):
    booster = _booster(leaves=8)
    tables = treeshap.tables_for(booster)
    tables.arrays[-1][:] += 0.5  # every table value off, as if LightGBM decided some split another way
    X = _data(rows, 4)
    with caplog.at_level(logging.WARNING, logger="training.explain.treeshap"):
        got = treeshap.tree_contributions(booster, X, 1)
    np.testing.assert_array_equal(got, booster.predict(X, pred_contrib=True))
    assert "disagrees" in caplog.text
    assert treeshap.tables_for(booster) is None  # not tried again for this model


def test_a_few_leads_routed_otherwise_than_by_lightgbm_get_pred_contrib(caplog):
    """One-lead requests skip the probe: each lead's sum is checked against LightGBM's raw score, so a
    table that sends leads down other branches (thresholds moved) is caught and dropped."""
    booster = _booster(leaves=8)
    X = _data(5, 6)
    one = treeshap.tree_contributions(booster, X[:1], 1)  # the fast path for one lead, exact
    np.testing.assert_allclose(one, booster.predict(X[:1], pred_contrib=True), rtol=0, atol=1e-9)
    tables = treeshap.tables_for(booster)
    tables.arrays[1][:] += 0.7  # every numeric threshold moved: other leaves, other sums
    with caplog.at_level(logging.WARNING, logger="training.explain.treeshap"):
        got = treeshap.tree_contributions(booster, X, 1)
    np.testing.assert_array_equal(got, booster.predict(X, pred_contrib=True))
    assert "disagrees" in caplog.text
    assert treeshap.tables_for(booster) is None


def test_a_model_of_single_leaves_gives_its_base_value():
    X = _data(300, 5)
    y = (np.arange(300) % 2).astype(int)
    booster = lgb.LGBMClassifier(n_estimators=3, min_child_samples=1000, verbose=-1).fit(X, y).booster_
    tables = treeshap.TreeTables(booster)
    np.testing.assert_allclose(tables.contributions(X), booster.predict(X, pred_contrib=True), rtol=0, atol=1e-12)
