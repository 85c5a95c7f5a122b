"""Metrics against cases small enough to compute by hand."""

import numpy as np
import pandas as pd
import pytest

from training.evaluate.metrics import (
    assign_bands,
    auc_by_source,
    band_thresholds,
    expected_calibration_error,
    rate_by_band,
    score_metrics,
    top_share,
)


def test_ece_by_hand():
    # bin [0.1,0.2): predictions 0.1, 0.1 (mean 0.1), outcomes 0, 1 (rate 0.5) -> |0.4| * 2/4
    # bin [0.9,1.0]: predictions 0.9, 0.9, outcomes 1, 1 -> |0.1| * 2/4
    y = np.array([0, 1, 1, 1])
    p = np.array([0.1, 0.1, 0.9, 0.9])
    assert expected_calibration_error(y, p) == pytest.approx(0.4 * 0.5 + 0.1 * 0.5)


def test_perfectly_calibrated_is_zero():
    y = np.array([0, 1, 0, 1])
    assert expected_calibration_error(y, np.full(4, 0.5)) == pytest.approx(0.0)


def test_lift_and_capture_by_hand():
    # 10 leads, 2 conversions; the top 20% (2 leads) holds one of them
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1])
    lift, capture = top_share(y, p, 0.2)
    assert capture == pytest.approx(0.5)
    assert lift == pytest.approx((1 / 2) / (2 / 10))


def test_headline_metrics_by_hand():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    m = score_metrics(y, p)
    assert m["roc_auc"] == pytest.approx(0.75)  # 3 of 4 positive-negative pairs ordered right
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["log_loss"] == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert m["pr_auc"] == pytest.approx((1 / 1 + 2 / 3) / 2)  # AP: precision at each positive's rank


def test_bands_follow_shares():
    p = np.linspace(0, 1, 1001)
    thresholds = band_thresholds(p)
    bands = assign_bands(p, thresholds)
    assert (bands == "hot").mean() == pytest.approx(0.10, abs=0.002)
    assert (bands == "warm").mean() == pytest.approx(0.30, abs=0.002)
    y = (p >= 0.9).astype(int)  # exactly the hot leads convert
    by_band = rate_by_band(y, p, thresholds)
    assert by_band["hot"]["conversion_rate"] == 1.0 and by_band["cold"]["conversion_rate"] == 0.0


def test_auc_by_source_skips_small_sources():
    y = np.array([0, 1] * 20 + [1, 0])
    p = np.array([0.2, 0.8] * 20 + [0.1, 0.9])
    source = pd.Series(["web"] * 40 + ["fair"] * 2)
    out = auc_by_source(y, p, source)
    assert set(out) == {"web"} and out["web"]["roc_auc"] == 1.0 and out["web"]["leads"] == 40
