"""Evaluation metrics for lead scores: ranking, calibration and what sales teams feel (lift, capture)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

BANDS = ("hot", "warm", "cold")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Share-weighted mean |observed rate - mean prediction| over equal-width probability bins."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        in_bin = index == b
        if in_bin.any():
            error += in_bin.mean() * abs(y[in_bin].mean() - p[in_bin].mean())
    return float(error)


def top_share(y: np.ndarray, p: np.ndarray, share: float) -> tuple[float, float]:
    """(lift, capture) in the top `share` of leads by score: how much richer than average the
    top is, and which share of all conversions it holds. Ties are broken by row order (stable)."""
    y = np.asarray(y, dtype=float)
    n_top = max(1, math.ceil(share * len(y)))
    top = np.argsort(-np.asarray(p, dtype=float), kind="stable")[:n_top]
    rate, base = y[top].mean(), y.mean()
    return float(rate / base) if base else float("nan"), float(y[top].sum() / y.sum()) if y.sum() else float("nan")


def band_thresholds(p: np.ndarray, hot_share: float = 0.10, warm_share: float = 0.30) -> dict[str, float]:
    """Default bands from training scores: the top 10% are hot, the next 30% warm, the rest cold."""
    p = np.asarray(p, dtype=float)
    return {"hot": float(np.quantile(p, 1 - hot_share)), "warm": float(np.quantile(p, 1 - hot_share - warm_share))}


def assign_bands(p: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.where(p >= thresholds["hot"], "hot", np.where(p >= thresholds["warm"], "warm", "cold"))


def safe_auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if 0 < np.sum(y) < len(y) else float("nan")


def score_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The headline metrics of one model's held-out predictions."""
    y, p = np.asarray(y, dtype=int), np.clip(np.asarray(p, dtype=float), 1e-7, 1 - 1e-7)
    lift10, capture10 = top_share(y, p, 0.10)
    lift20, capture20 = top_share(y, p, 0.20)
    return {
        "roc_auc": safe_auc(y, p), "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)), "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "lift_top10": lift10, "capture_top10": capture10, "lift_top20": lift20, "capture_top20": capture20,
    }


def rate_by_band(y: np.ndarray, p: np.ndarray, thresholds: dict[str, float]) -> dict[str, dict]:
    bands = assign_bands(p, thresholds)
    return {b: {"leads": int((bands == b).sum()),
                "conversion_rate": float(np.mean(np.asarray(y)[bands == b])) if (bands == b).any() else float("nan")}
            for b in BANDS}


def auc_by_source(y: np.ndarray, p: np.ndarray, source: pd.Series, min_leads: int = 30) -> dict[str, dict]:
    """ROC-AUC within each lead source with enough leads and both outcomes."""
    out = {}
    labels = source.astype("string").fillna("(missing)").to_numpy()
    frame = pd.DataFrame({"y": np.asarray(y), "p": np.asarray(p), "s": labels})
    for name, group in frame.groupby("s", sort=True):
        if len(group) >= min_leads:
            out[str(name)] = {"leads": int(len(group)), "conversion_rate": float(group["y"].mean()),
                              "roc_auc": safe_auc(group["y"].to_numpy(), group["p"].to_numpy())}
    return out
