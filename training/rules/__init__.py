"""The sales team's points table (`table`): the baseline, the service's fallback score; and points fitted
to outcomes (`fit`, `leadscore rules suggest`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "RuleTable": "training.rules.table",
    "load_rules": "training.rules.table",
    "run_rules_suggest": "training.rules.fit",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
