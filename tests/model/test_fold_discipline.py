"""Nothing is tuned, calibrated, early-stopped or encoded on the rows being evaluated.

Every lead carries a unique tag in a numeric feature; spies record which tags reach the encoder,
the tuner and the calibrated booster during each held-out fit. A protocol that tuned or calibrated
on evaluation rows would put an evaluated tag in one of those sets.
"""

import copy
import json

import numpy as np
import pytest

import training.fit.train as train_module
import training.model.classifier as model_module
from features.build import TrainingSet
from training.evaluate.splits import evaluation_splits
from training.model.classifier import LeadClassifier


@pytest.fixture
def tagged_set(x_education_spec):
    from features.build import build_training_set
    from features.spec import DatasetSpec

    ts = build_training_set(DatasetSpec.model_validate(x_education_spec))
    frame = ts.frame.sample(n=2500, random_state=0).reset_index(drop=True)
    frame["row_tag"] = np.arange(len(frame), dtype=float) + 0.5
    names = {**ts.feature_names, "row_tag": "row_tag"}
    return TrainingSet(frame=frame, feature_names=names, label_report=ts.label_report, strengths=[], spec=ts.spec)


def test_no_evaluation_row_reaches_tuning_or_calibration(tagged_set, fast_options, monkeypatch):
    tag_column = list(tagged_set.feature_names).index("row_tag")
    seen = {"tune": [], "calibrated_fit": [], "fit_model": []}

    real_tune, real_fit, real_fit_model = model_module.tune, LeadClassifier.fit, train_module.fit_model

    def spy_tune(X, y, *args, **kwargs):
        seen["tune"].append(set(X[:, tag_column]))
        return real_tune(X, y, *args, **kwargs)

    def spy_fit(self, X, y, **kwargs):
        seen["calibrated_fit"].append(set(np.asarray(X)[:, tag_column]))
        return real_fit(self, X, y, **kwargs)

    def spy_fit_model(X, *args, **kwargs):
        seen["fit_model"].append(set(X["row_tag"]))
        return real_fit_model(X, *args, **kwargs)

    monkeypatch.setattr(model_module, "tune", spy_tune)
    monkeypatch.setattr(LeadClassifier, "fit", spy_fit)
    monkeypatch.setattr(train_module, "fit_model", spy_fit_model)
    train_module.evaluate_all(tagged_set, fast_options)

    splits = evaluation_splits(tagged_set.frame, 5, 0)
    tags = tagged_set.frame["row_tag"].to_numpy()
    # one call per held-out fit, then one for the final model on all rows
    assert len(seen["tune"]) == len(seen["calibrated_fit"]) == len(splits) + 1
    for k, (train_rows, eval_rows) in enumerate(splits):
        evaluated = set(tags[eval_rows])
        for stage in seen.values():
            assert not stage[k] & evaluated
            assert stage[k] == set(tags[train_rows])
    assert seen["tune"][-1] == set(tags)  # the final model may see everything: it is not evaluated


def test_time_ordered_protocol_trains_on_the_past(synthetic_training_set):
    splits = evaluation_splits(synthetic_training_set.frame, 5, 0)
    assert len(splits) == 1
    train_rows, eval_rows = splits[0]
    created = synthetic_training_set.frame["created_at"].to_numpy()
    assert created[train_rows].max() <= created[eval_rows].min()
    assert len(eval_rows) == pytest.approx(0.2 * len(created), abs=1)


def test_same_data_and_seed_give_the_same_predictions(tagged_set, fast_options):
    small = copy.copy(tagged_set)
    small.frame = tagged_set.frame.head(1500)
    first = train_module.evaluate_all(small, fast_options)
    second = train_module.evaluate_all(small, fast_options)
    for name in first.predictions:
        np.testing.assert_array_equal(first.predictions[name], second.predictions[name])
    # as text: an empty band's conversion rate is NaN (the base rate calls every lead alike), and NaN != NaN
    assert json.dumps(first.metrics["models"], sort_keys=True, default=float) == \
        json.dumps(second.metrics["models"], sort_keys=True, default=float)
    X = small.frame[small.features]
    np.testing.assert_array_equal(first.pipeline.predict_proba(X), second.pipeline.predict_proba(X))


def test_a_large_tables_final_fit_reuses_the_last_evaluation_fits_choices(tagged_set, monkeypatch):
    """From REUSE_ROWS rows the final fit takes the last evaluation fit's choices instead of running
    its own inner folds (lowered here so a small table takes that path); evaluation fits are unchanged."""
    monkeypatch.setattr(train_module, "REUSE_ROWS", 100)
    inner_fits, real_inner_cv = [], model_module.inner_cv

    def spy_inner_cv(X, *args, **kwargs):
        inner_fits.append(len(X))
        return real_inner_cv(X, *args, **kwargs)

    evaluated, real_predict = [], train_module.predict_candidates

    def spy_predict(pipeline, E):
        evaluated.append(pipeline.named_steps["classify"].learned_)
        return real_predict(pipeline, E)

    monkeypatch.setattr(model_module, "inner_cv", spy_inner_cv)
    monkeypatch.setattr(train_module, "predict_candidates", spy_predict)
    small = copy.copy(tagged_set)
    small.frame = tagged_set.frame.head(1500)
    result = train_module.evaluate_all(small, train_module.TrainOptions())
    splits = evaluation_splits(small.frame, 5, 0)
    assert inner_fits == [len(train) for train, _ in splits]  # none for the final fit
    final, last = result.pipeline.named_steps["classify"], evaluated[-1]
    assert (final.weight_, final.linear_c_, final.calibration_, final.n_estimators_, final.params_) == (
        last["weight"], last["linear_c"], last["calibration"], last["n_estimators"], last["params"])
    assert final.calibrator_ is last["calibrator"]
    assert len(final.trees_.dump_model()["tree_info"]) == last["n_estimators"]
