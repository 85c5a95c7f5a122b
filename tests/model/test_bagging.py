"""With `bag_folds`, the served booster is the mean of the inner folds' boosters (training/model/bagging.py):
its raw score and its TreeSHAP contributions equal the members' mean and it loads through the trusted
list; by default one booster is refit on all rows."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
import skops.io

import training.model.classifier as model_module
from training.explain.treeshap import tree_contributions
from training.model.bagging import mean_booster
from training.model.classifier import LeadClassifier
from training.registry.tracking import TRUSTED_TYPES


@pytest.fixture(scope="module")
def table():
    """Numbers with missing values and a category with 30 levels, the outcome depending on both."""
    rng = np.random.default_rng(7)
    X = rng.random((3000, 4))
    X[:, 2] = rng.integers(0, 30, 3000)
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + (np.nan_to_num(X[:, 2]) % 3 == 0) + rng.normal(0, 0.5, 3000) > 1).astype(int)
    return X, y


def fold_boosters(X, y, count=3):
    rng = np.random.default_rng(0)
    boosters = []
    for seed in range(count):
        rows = rng.random(len(y)) < 0.67
        held = ~rows
        model = lgb.LGBMClassifier(n_estimators=400, num_leaves=8, subsample=0.8, subsample_freq=1, random_state=seed,
                                   verbose=-1)
        model.fit(X[rows], y[rows], categorical_feature=[2], eval_X=(X[held],), eval_y=(y[held],),
                  callbacks=[lgb.early_stopping(20, verbose=False)])
        boosters.append(model.booster_)
    return boosters


def test_the_mean_booster_scores_and_explains_as_the_mean_of_its_members(table):
    X, y = table
    boosters = fold_boosters(X, y)
    assert all(0 < b.best_iteration < 400 for b in boosters)  # stopped early, as the inner folds do
    merged = mean_booster(boosters)
    assert merged.num_trees() == sum(b.best_iteration for b in boosters)  # up to each member's best iteration
    members = [b.predict(X, raw_score=True, num_iteration=b.best_iteration) for b in boosters]
    np.testing.assert_allclose(merged.predict(X, raw_score=True), np.mean(members, axis=0), atol=1e-9)
    contributions = np.mean([b.predict(X, pred_contrib=True, num_iteration=b.best_iteration) for b in boosters], axis=0)
    np.testing.assert_allclose(merged.predict(X, pred_contrib=True), contributions, atol=1e-9)
    np.testing.assert_allclose(tree_contributions(merged, X, 1), contributions, atol=1e-9)  # the fast path too


def test_a_bagged_classifier_serves_its_inner_folds_mean(table, monkeypatch):
    X, y = table
    seen = []
    real_inner_cv = model_module.inner_cv

    def spy(*args, **kwargs):
        seen.append(real_inner_cv(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(model_module, "inner_cv", spy)
    classifier = LeadClassifier(categorical_features=[2], inner_folds=3, bag_folds=True).fit(X, y)
    (folds,) = seen
    assert len(folds.boosters) == 3
    assert classifier.trees_.num_trees() == sum(folds.best_iterations)  # no refit: the folds' own trees
    members = np.mean([b.predict(X, raw_score=True) for b in folds.boosters], axis=0)
    np.testing.assert_allclose(classifier.member_log_odds(X)["lightgbm"], members, atol=1e-9)
    contributions = classifier.contributions(X)
    np.testing.assert_allclose(contributions.sum(axis=1), classifier.decision_function(X), atol=1e-6)
    loaded = skops.io.loads(skops.io.dumps(classifier), trusted=TRUSTED_TYPES)
    np.testing.assert_array_equal(loaded.predict_proba(X), classifier.predict_proba(X))
    np.testing.assert_allclose(loaded.contributions(X[:5]), contributions[:5], atol=1e-9)


def test_by_default_one_booster_is_refit_on_all_rows(table):
    X, y = table
    classifier = LeadClassifier(categorical_features=[2]).fit(X, y)
    assert classifier.bagged_folds_ == 0
    assert classifier.trees_.num_trees() == classifier.n_estimators_
