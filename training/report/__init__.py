"""What people read: the managers' page and the run report (`page`), its chart data (`cards`) and charts
(`charts`, `plots`), display names (`display`), the plain-language summary (`summary`), the section on
activities (`engagement_page`), and every sentence in English and Chinese (`texts`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "render_report": "training.report.page",
    "FAVICON_SVG": "training.report.page",
    "drivers": "training.report.cards",
    "plot_evaluation": "training.report.plots",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
