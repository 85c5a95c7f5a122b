"""The Dask engine of `build`: reading a file, folder or glob (`read`), the pandas build run on every
partition (`build`), its output written like the pandas build's (`run`), and the cluster that build,
train and score share (`cluster`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "list_files": "features.dask.read",
    "read_frame": "features.dask.read",
    "build_training_set_dask": "features.dask.build",
    "check_dask_source": "features.dask.build",
    "build_on_dask": "features.dask.run",
    "dask_client": "features.dask.cluster",
    "release_memory": "features.dask.cluster",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
