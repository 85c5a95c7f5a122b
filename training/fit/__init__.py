"""`leadscore train`: evaluate every model on the same held-out rows and refit the served one (`train`),
on a Dask cluster too (`dask`); the run's metadata (`metadata`); what the run decided (`decisions`),
its progress (`progress`), the scheduler's summary file (`run_summary`), and the command's one call (`run`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "TrainOptions": "training.fit.options",
    "TrainResult": "training.fit.train",
    "train": "training.fit.train",
    "evaluate_all": "training.fit.train",
    "fit_model": "training.fit.train",
    "model_metadata": "training.fit.metadata",
    "run_train": "training.fit.run",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
