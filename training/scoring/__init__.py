"""`leadscore score`: a frame of leads scored with reasons (`score`), read and written in chunks
(`batch_io`), written to a file or table (`output`), on a Dask cluster too (`dask`), and the command's
one call (`run`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "score_frame": "training.scoring.score",
    "score_source": "training.scoring.score",
    "ScoreOptions": "training.scoring.run",
    "run_score": "training.scoring.run",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
