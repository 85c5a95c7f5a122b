"""`leadscore init`: a commented dataset spec drafted from what an export's values show (the id, the
outcome, dates, personal data, placeholders, columns that leak), written with a display-glossary stub.

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "Draft": "features.init.draft",
    "draft_spec": "features.init.draft",
    "init_spec": "features.init.write",
    "run_init": "features.init.write",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
