"""The train/serve contract and where models live: the typed metadata (`contract`), MLflow tracking and
safe loading (`tracking`), the one parser of model URIs (`uri`), recording a run (`publish`) and the
champion gate (`gate`).

Public names are imported from their modules on first use, so importing the package stays light.
"""

from features.exports import lazy_exports

_HOMES = {
    "ModelMetadata": "training.registry.contract",
    "read_metadata": "training.registry.contract",
    "LoadedModel": "training.registry.tracking",
    "load_model": "training.registry.tracking",
    "load_folder": "training.registry.tracking",
    "ModelUri": "training.registry.uri",
    "parse_model_uri": "training.registry.uri",
    "train_and_publish": "training.registry.publish",
    "register_and_gate": "training.registry.gate",
}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
