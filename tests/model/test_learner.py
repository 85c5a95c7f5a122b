"""The learner against the generator's truth and the logistic baseline on synthetic variants it was
never tuned on; exact reasons whatever kind of model is served; same data and seed, same model.

Each variant is generated, built into a training set through the real builder, split by time (the
project's protocol for exports with a creation time), and the model Pipeline is fitted with
`pipeline.fit` on the older rows only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.metrics import roc_auc_score

from features.build import build_training_set
from features.spec import DatasetSpec
from features.synth.export import write_export
from training.evaluate.splits import evaluation_splits
from training.explain.contributions import explain_frame
from training.model.baselines import make_logistic
from training.model.classifier import make_pipeline
from training.registry.tracking import TRUSTED_TYPES

ROOT = Path(__file__).resolve().parents[2]


def variant_set(folder, leads: int, variants: tuple[str, ...], seed: int = 3):
    write_export(folder, leads, seed, variants)
    raw = yaml.safe_load((ROOT / "data" / "specs" / "synthetic.yaml").read_text())
    raw["leads"]["path"], raw["outcome"]["path"] = str(folder / "leads.csv"), str(folder / "outcomes.csv")
    for table in [*raw.get("lookups", []), *([raw["activities"]] if raw.get("activities") else [])]:
        table["path"] = str(folder / Path(table["path"]).name)  # the export's own accounts and activities
    raw["rules"], raw["display"] = None, None
    raw.pop("synthetic")
    ts = build_training_set(DatasetSpec.model_validate(raw))
    truth = pd.read_csv(folder / "truth.csv").set_index("lead_id")["p_convert"]
    return ts, truth


def held_out(ts, truth, train_rows: int | None = None, **learner):
    """(served model, ROC-AUCs of served / logistic baseline / truth on the newer rows). By default the
    project's split (newest 20% evaluated); with train_rows, the oldest train_rows leads train and all
    newer ones are evaluated: a small fit judged on many rows, so a 2% outcome still gives a stable AUC."""
    (train, test), = evaluation_splits(ts.frame, 5, 0)
    if train_rows:
        order = np.argsort(ts.frame["created_at"].to_numpy(), kind="stable")
        train, test = np.sort(order[:train_rows]), np.sort(order[train_rows:])
    X, y = ts.frame[ts.features], ts.frame["label"].to_numpy()
    pipeline = make_pipeline(X.iloc[train], ts.feature_names, **learner).fit(X.iloc[train], y[train])
    logistic = make_logistic(X.iloc[train]).fit(X.iloc[train], y[train])
    aucs = {"served": roc_auc_score(y[test], pipeline.predict_proba(X.iloc[test])[:, 1]),
            "logistic": roc_auc_score(y[test], logistic.predict_proba(X.iloc[test])[:, 1]),
            "truth": roc_auc_score(y[test], truth.loc[ts.frame["lead_id"].iloc[test]].to_numpy())}
    return pipeline, aucs


@pytest.mark.slow
def test_on_a_large_export_the_served_model_is_within_0005_of_the_truth(tmp_path):
    ts, truth = variant_set(tmp_path, 60_000, ())
    _, aucs = held_out(ts, truth)
    assert aucs["served"] >= aucs["truth"] - 0.005, aucs
    assert aucs["served"] >= aucs["logistic"] - 0.002, aucs


@pytest.mark.slow
@pytest.mark.parametrize("variants", [("linear",), ("rare",), ("high-cardinality",), ("drift",)])
def test_never_below_the_logistic_baseline(tmp_path, variants):
    ts, truth = variant_set(tmp_path, 50_000, variants)
    pipeline, aucs = held_out(ts, truth, train_rows=12_000)
    assert aucs["served"] >= aucs["logistic"] - 0.002, (pipeline.named_steps["classify"].kind_, aucs)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    ts, _ = variant_set(tmp_path_factory.mktemp("small"), 2000, ("linear",), seed=5)
    return ts, ts.frame[ts.features], ts.frame["label"].to_numpy()


@pytest.mark.parametrize("blend, kind", [(1.0, "lightgbm"), (0.0, "logistic"), (0.3, "blend")])
def test_reasons_add_up_for_every_kind_of_served_model(small_set, blend, kind):
    ts, X, y = small_set
    pipeline = make_pipeline(X, ts.feature_names, blend=blend).fit(X, y)
    classifier = pipeline.named_steps["classify"]
    assert classifier.kind_ == kind
    sample = X.sample(300, random_state=0)
    matrix = pipeline.named_steps["encode"].transform(sample)
    explanation = explain_frame(pipeline, sample)
    log_odds = classifier.decision_function(matrix)
    np.testing.assert_allclose(explanation.contributions.sum(axis=1) + explanation.base_value, log_odds, atol=1e-6)
    np.testing.assert_allclose(explanation.probability, pipeline.predict_proba(sample)[:, 1], atol=1e-12)
    points = explanation.points.sum(axis=1) + explanation.base_score
    np.testing.assert_allclose(points, explanation.probability * 100, atol=1e-6)
    members = classifier.member_log_odds(matrix)  # a blend is the weighted sum of its members
    np.testing.assert_allclose(log_odds, blend * members["lightgbm"] + (1 - blend) * members["logistic"], atol=1e-9)
    # The served artifact loads through skops with the explicit trusted list and answers the same.
    loaded = skops.io.loads(skops.io.dumps(pipeline), trusted=TRUSTED_TYPES)
    np.testing.assert_array_equal(loaded.predict_proba(sample), pipeline.predict_proba(sample))


def test_same_data_and_seed_give_the_same_model(small_set):
    ts, X, y = small_set
    first = make_pipeline(X, ts.feature_names).fit(X, y)
    second = make_pipeline(X, ts.feature_names).fit(X, y)
    a, b = first.named_steps["classify"], second.named_steps["classify"]
    assert (a.weight_, a.linear_c_, a.calibration_, a.n_estimators_) == (
        b.weight_, b.linear_c_, b.calibration_, b.n_estimators_)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    np.testing.assert_array_equal(a.linear_.coef_levels_, b.linear_.coef_levels_)


def test_a_fit_given_an_earlier_fits_choices_reuses_them_without_inner_folds(small_set, monkeypatch):
    """The final fit of a large table reuses its evaluation fit's choices (training/fit/train.py): given
    `learned_` of a fit on the same rows, a fit makes the same model without running inner folds."""
    import training.model.classifier as model_module

    ts, X, y = small_set
    first = make_pipeline(X, ts.feature_names).fit(X, y)
    learned = first.named_steps["classify"].learned_

    def no_inner_folds(*args, **kwargs):
        raise AssertionError("a fit with learned choices ran its inner folds")

    monkeypatch.setattr(model_module, "inner_cv", no_inner_folds)
    monkeypatch.setattr(model_module, "choose_weight", no_inner_folds)
    second = make_pipeline(X, ts.feature_names, learned=learned).fit(X, y)
    a, b = first.named_steps["classify"], second.named_steps["classify"]
    assert (b.weight_, b.linear_c_, b.calibration_, b.n_estimators_, b.params_) == (
        a.weight_, a.linear_c_, a.calibration_, a.n_estimators_, a.params_)
    np.testing.assert_array_equal(second.predict_proba(X), first.predict_proba(X))
    loaded = skops.io.loads(skops.io.dumps(second), trusted=TRUSTED_TYPES)  # still loads with the trusted list
    np.testing.assert_array_equal(loaded.predict_proba(X), second.predict_proba(X))
