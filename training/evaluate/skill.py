"""Does the served model separate buyers from the rest, and does it beat the others by more than noise?

A paired bootstrap of the held-out rows: every resample draws the same rows for every model, so a
difference between two models is measured on the same leads. From it come the served model's ROC-AUC
interval, its Brier score against the constant base rate's, and a verdict per other model: better,
worse, or a tie when the interval of the difference holds 0. A model whose ROC-AUC interval holds 0.5,
or whose Brier score is no better than the base rate's (on the same rows), has no skill: it is never promoted silently.
"""

from __future__ import annotations

import numpy as np

RESAMPLES = 500
LARGE_ROWS, LARGE_RESAMPLES = 50_000, 200  # each resample costs a pass over every held-out row and model
RANK_BINS = 4096
CONFIDENCE = 0.95
BASE_RATE = "base_rate"  # the constant baseline: every lead gets the training rows' conversion rate


def _weighted_auc(pos_codes: np.ndarray, neg_codes: np.ndarray, n_values: int, w_pos: np.ndarray,
                  w_neg: np.ndarray) -> float:
    """ROC-AUC of scores given as their rank codes (ties share a code), rows weighted (resampled) by w."""
    positive = np.bincount(pos_codes, weights=w_pos, minlength=n_values)
    negative = np.bincount(neg_codes, weights=w_neg, minlength=n_values)
    below = np.cumsum(negative) - negative
    total = positive.sum() * negative.sum()
    return float(np.dot(positive, below + 0.5 * negative) / total) if total else float("nan")


def _rank_codes(p: np.ndarray) -> tuple[np.ndarray, int]:
    """Scores as rank codes; more than RANK_BINS distinct scores are merged into RANK_BINS equal-count bins
    (an AUC differs from the exact one only by pairs that fall in one bin)."""
    values, codes = np.unique(p, return_inverse=True)
    if len(values) <= RANK_BINS:
        return codes, len(values)
    return (codes * RANK_BINS // len(values)).astype(np.int64), RANK_BINS


def _interval(values: np.ndarray) -> list[float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [float("nan"), float("nan")]
    return [float(np.percentile(finite, tail)), float(np.percentile(finite, 100 - tail))]


def verdict(interval: list[float]) -> str:
    """'better' when the whole interval of (other - served) is above 0, 'worse' below, else 'tie'."""
    low, high = interval
    if low > 0:
        return "better"
    if high < 0:
        return "worse"
    return "tie"


def skill_report(y: np.ndarray, predictions: dict[str, np.ndarray], served: str, seed: int = 0,
                 resamples: int | None = None) -> dict:
    """Intervals and verdicts from a paired bootstrap of the held-out rows (`predictions`: model -> p)."""
    y = np.asarray(y, dtype=float)
    if resamples is None:
        resamples = RESAMPLES if len(y) <= LARGE_ROWS else LARGE_RESAMPLES
    rng = np.random.default_rng(seed)
    n = len(y)
    pos, neg = y == 1, y == 0
    coded = {}
    for name, p in predictions.items():
        codes, n_values = _rank_codes(np.asarray(p, dtype=float))
        coded[name] = (codes[pos], codes[neg], n_values)
    aucs = {name: np.empty(resamples) for name in predictions}
    briers = {name: np.empty(resamples) for name in predictions}
    squared = {name: (np.asarray(p, dtype=float) - y) ** 2 for name, p in predictions.items()}
    for b in range(resamples):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        w_pos, w_neg = w[pos], w[neg]
        for name in predictions:
            aucs[name][b] = _weighted_auc(*coded[name][:2], coded[name][2], w_pos, w_neg)
            briers[name][b] = float(np.dot(w, squared[name]) / n)
    report = {"confidence": CONFIDENCE, "resamples": resamples, "roc_auc": _interval(aucs[served]),
              "versus": {}}
    for name in predictions:
        if name == served:
            continue
        auc_diff = _interval(aucs[name] - aucs[served])
        brier_diff = _interval(briers[served] - briers[name])  # above 0: the other's probabilities are closer
        report["versus"][name] = {"roc_auc_diff": auc_diff, "brier_diff": brier_diff, "verdict": verdict(auc_diff)}
    reasons = []
    if not report["roc_auc"][0] > 0.5:
        reasons.append("roc_auc")
    if BASE_RATE in predictions:
        # Ranking is judged by its interval; probabilities by the paired difference itself: a model that
        # ranks beyond chance on a few hundred leads would otherwise be refused for the Brier interval's width.
        report["brier_vs_base_rate"] = _interval(briers[served] - briers[BASE_RATE])
        report["brier_minus_base_rate"] = float(np.mean(squared[served]) - np.mean(squared[BASE_RATE]))
        if not report["brier_minus_base_rate"] < 0:
            reasons.append("brier")
    report["no_skill"] = bool(reasons)
    report["no_skill_reasons"] = reasons
    return report


def ties_and_wins(skill: dict | None) -> dict[str, str]:
    """Other model -> 'better' / 'worse' / 'tie' against the served model ({} for runs without intervals)."""
    return {name: v["verdict"] for name, v in ((skill or {}).get("versus") or {}).items()}
