"""The embedded default data: a synthetic CRM export with planted effects (`export`; the truth without the
activities: `fit_truth`), and a later period with drift and outcomes for the feedback loop (`later`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "ensure_export": "features.synth.export",
    "write_export": "features.synth.export",
    "generate": "features.synth.export",
    "run_synth": "features.synth.later",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
