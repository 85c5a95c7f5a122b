"""Reasons behind a score: exact TreeSHAP contributions on the matrix the model saw (`contributions`), the
same numbers for whole batches from precomputed tables (`treeshap`), reason texts built column-wise
for a batch (`reasons`), and engagement reasons in plain words (`engagement`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "Explanation": "training.explain.contributions",
    "explain_frame": "training.explain.contributions",
    "explain_matrix": "training.explain.contributions",
    "explain_records": "training.explain.contributions",
    "reasons_for": "training.explain.contributions",
    "build_reasons": "training.explain.reasons",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
