"""Fixtures for model tests: a small synthetic training set and a fast training configuration."""

import pytest

from features.build import build_training_set
from features.spec import DatasetSpec
from training.train import TrainOptions


@pytest.fixture(scope="session")
def synthetic_training_set(synthetic_spec):
    return build_training_set(DatasetSpec.model_validate(synthetic_spec))


@pytest.fixture
def fast_options():
    return TrainOptions(tune_trials=3, n_jobs=2)


@pytest.fixture(scope="session")
def trained(synthetic_training_set):
    """LightGBM and baselines evaluated on the small synthetic set, plus the final model."""
    from training.train import evaluate_all

    return evaluate_all(synthetic_training_set, TrainOptions(tune_trials=3))
