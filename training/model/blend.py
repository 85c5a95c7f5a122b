"""How LeadClassifier combines and calibrates its members, learned on out-of-fold log-odds only:
the blend weight of LightGBM against the logistic member, and the calibration of the blended log-odds
(none, sigmoid or isotonic, kept only when it lowers the cross-validated Brier score)."""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from features.folds import stratified_folds

CALIBRATIONS = ("none", "sigmoid", "isotonic")
BLEND_WEIGHTS = np.round(np.linspace(1.0, 0.0, 11), 1)  # LightGBM's weight; 1.0 first so it wins ties


def fit_calibrator(method: str, raw: np.ndarray, y: np.ndarray):
    if method == "sigmoid":
        return LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
    if method == "isotonic":
        return IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1 - 1e-6).fit(raw, y)
    return None


def apply_calibrator(calibrator, raw: np.ndarray) -> np.ndarray:
    """Probability from log-odds; with no calibrator, the logistic function itself. Always monotone."""
    if calibrator is None:
        return 1.0 / (1.0 + np.exp(-raw))
    if isinstance(calibrator, IsotonicRegression):
        return calibrator.predict(raw)
    return calibrator.predict_proba(raw.reshape(-1, 1))[:, 1]


def choose_calibration(raw: np.ndarray, y: np.ndarray, seed: int, folds: int = 5,
                       groups=None) -> tuple[str, dict]:
    """Cross-validated Brier score of each calibration on out-of-fold raw scores; lowest wins.

    'none' wins ties: a calibrator is kept only when it improves the Brier score. With `groups`, a lead's
    rows are held out together.
    """
    splits = stratified_folds(y, folds, seed, groups)
    scores = {}
    for method in CALIBRATIONS:
        error = 0.0
        for fit_rows, held in splits:
            calibrator = fit_calibrator(method, raw[fit_rows], y[fit_rows])
            error += float(np.sum((apply_calibrator(calibrator, raw[held]) - y[held]) ** 2))
        scores[method] = error / len(y)
    best = min(CALIBRATIONS, key=lambda m: (scores[m] - (1e-12 if m == "none" else 0.0)))
    return best, scores


def choose_weight(boosted: np.ndarray, linear: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """LightGBM's blend weight with the lowest out-of-fold log loss (each blend Platt-scaled, so a
    member's scale does not decide); the higher weight wins ties."""
    losses = {}
    for w in BLEND_WEIGHTS:
        z = (w * boosted + (1 - w) * linear).reshape(-1, 1)
        platt = LogisticRegression(C=1e6).fit(z, y)
        losses[float(w)] = log_loss(y, platt.predict_proba(z)[:, 1])
    best = min(losses, key=lambda w: (round(losses[w], 6), -w))
    return best, losses
