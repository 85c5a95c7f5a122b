"""Evaluation plots saved as PNG: ROC, precision-recall, reliability, cumulative gain, SHAP summary.

Figures are made without pyplot (as training/report/charts.py does): no global figure registry and no
backend switched for the whole process at import; each Figure draws with its own Agg canvas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve


def _axes(size: tuple[float, float] = (5.5, 4.5)):
    fig = Figure(figsize=size)
    return fig, fig.add_subplot()


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def plot_evaluation(y: np.ndarray, predictions: dict[str, np.ndarray], out_dir: Path) -> list[Path]:
    """One figure per view, every model on it, from held-out predictions."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    fig, ax = _axes()
    for name, p in predictions.items():
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (held-out)")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / "roc.png"))

    fig, ax = _axes()
    for name, p in predictions.items():
        precision, recall, _ = precision_recall_curve(y, p)
        ax.plot(recall, precision, label=name)
    ax.axhline(np.mean(y), color="grey", linestyle=":")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (held-out)")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / "precision_recall.png"))

    fig, ax = _axes()
    for name, p in predictions.items():
        observed, predicted = calibration_curve(y, np.clip(p, 0, 1), n_bins=10, strategy="quantile")
        ax.plot(predicted, observed, marker="o", markersize=3, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="predicted probability", ylabel="observed conversion rate", title="Reliability (held-out)")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / "reliability.png"))

    fig, ax = _axes()
    share = np.arange(1, len(y) + 1) / len(y)
    for name, p in predictions.items():
        order = np.argsort(-p, kind="stable")
        ax.plot(share, np.cumsum(y[order]) / y.sum(), label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    ax.set(xlabel="share of leads contacted (best first)", ylabel="share of conversions captured",
           title="Cumulative gain (held-out)")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / "cumulative_gain.png"))
    return paths


def plot_shap_summary(explanation, out_dir: Path, max_display: int = 15) -> Path:
    """SHAP beeswarm of the final model's contributions (log-odds) on a sample of training rows."""
    import shap

    values = shap.Explanation(values=explanation.contributions, base_values=explanation.base_value,
                              data=explanation.matrix, feature_names=explanation.display_names)
    fig, ax = _axes((7, 5))
    # Given an axes (and no plot_size), SHAP draws on it and leaves pyplot's current figure alone.
    shap.plots.beeswarm(values, max_display=max_display, show=False, ax=ax, plot_size=None)
    fig.suptitle("SHAP summary (log-odds)")
    out_dir.mkdir(parents=True, exist_ok=True)
    return _save(fig, out_dir / "shap_summary.png")
