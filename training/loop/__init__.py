"""The feedback loop's data: every table of the loop's database on one MetaData with its URL default and
its one engine opener (`store`), the one prediction-row builder and batch writer (`batch_log`), the
outcomes import (`outcomes`), retraining (`retrain`) and calls to a running service (`service_client`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "database_url": "training.loop.store",
    "open_engine": "training.loop.store",
    "prediction_rows": "training.loop.batch_log",
    "import_outcomes": "training.loop.outcomes",
    "run_outcomes_import": "training.loop.outcomes",
    "run_retrain": "training.loop.retrain",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
