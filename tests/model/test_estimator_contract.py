"""LeadClassifier keeps scikit-learn's estimator contract (issue 11 item 2), with the one expected failure
listed and explained, as skrub does."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from training.model.classifier import LeadClassifier

EXPECTED_FAILURES = {
    # predict thresholds the *calibrated* probability at 0.5, while decision_function is the log-odds
    # before calibration (what the reasons add up to); with a sigmoid or isotonic calibrator the two
    # thresholds differ for a few rows near the boundary, which this check does not allow.
    "check_classifiers_train": "predict uses the calibrated probability; decision_function is pre-calibration",
}


@pytest.mark.slow
@parametrize_with_checks([LeadClassifier(max_estimators=20, inner_folds=2, linear_c=0.5)],
                         expected_failed_checks=lambda estimator: EXPECTED_FAILURES)
def test_scikit_learn_contract(estimator, check):
    check(estimator)
