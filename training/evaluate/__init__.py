"""Honest evaluation: the held-out rows every model is judged on (`splits`), the metrics sales teams
read (`metrics`), and the drift summary a model carries for monitoring (`drift`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "evaluation_splits": "training.evaluate.splits",
    "score_metrics": "training.evaluate.metrics",
    "assign_bands": "training.evaluate.metrics",
    "band_thresholds": "training.evaluate.metrics",
    "BANDS": "training.evaluate.metrics",
    "psi": "training.evaluate.drift",
    "summarize_training": "training.evaluate.drift",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
