"""`leadscore monitor`: how the served scores held up against the outcomes that came back (`compute`),
the report in English and Chinese kept in the database and MLflow (`report`), and the command's one
call (`run`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "MonitorResult": "training.monitor.compute",
    "monitor": "training.monitor.compute",
    "latest_report": "training.monitor.report",
    "render_sections": "training.monitor.report",
    "run_monitor": "training.monitor.run",
    "monitor_once": "training.monitor.run",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
