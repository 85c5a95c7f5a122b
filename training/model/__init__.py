"""The model: one scikit-learn Pipeline, LeadEncoder then LeadClassifier (`classifier`), which blends an
early-stopped LightGBM member (`boost`, optionally bagged: `bagging`) with a logistic member (`linear`)
in log-odds and calibrates the blend (`blend`); bounded tuning (`tune`) and the baselines trained beside
it (`baselines`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "LeadClassifier": "training.model.classifier",
    "make_pipeline": "training.model.classifier",
    "LinearMember": "training.model.linear",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
