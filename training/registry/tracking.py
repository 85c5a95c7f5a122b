"""MLflow tracking and registry, and safe model loading.

Embedded default: an SQLite tracking store and registry in the working folder (mlflow.db, artifacts
in mlruns/); any MLFLOW_TRACKING_URI is honoured. Loading passes the store to MLflow explicitly and
changes nothing process-wide; recording a run uses MLflow's fluent API, which reads process-wide URIs,
so `recording_to` sets them for the block only and puts back what was there.

Models are saved in the skops format and loaded only with skops and the explicit trusted-type list
below, never with unrestricted pickle. (MLflow's own loader reads the trusted list from the model
files themselves, so it is not used for loading.) Their metadata is validated on load
(training/registry/contract.py).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import mlflow
import skops.io
import yaml
from mlflow.tracking import MlflowClient

from features.errors import LeadscoreError
from features.glossary import Glossary, glossary_from
from training.registry.contract import ModelMetadata, read_metadata
from training.registry.uri import parse_model_uri

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
CHAMPION = "champion"

# Where the model's own classes lived before the code moved into stage folders, and where they live now.
# Models saved then name the old paths: those stay trusted, and loading maps them to the new ones.
MOVED_TYPES = {
    "training.model.LeadClassifier": "training.model.classifier.LeadClassifier",
    "training.linear.LinearMember": "training.model.linear.LinearMember",
}
# Every type a leadscore model may contain. Anything else in a model file refuses to load.
TRUSTED_TYPES = [
    "collections.OrderedDict",
    "features.encoder.LeadEncoder",
    "features.context.LeadContext",
    "sklearn.frozen._frozen.FrozenEstimator",
    *MOVED_TYPES.values(),
    *MOVED_TYPES,
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.basic.Booster",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
]
# The saved model's own environment: leadscore (which brings its pinned dependencies from pyproject.toml)
# and, by name, the packages its Pipeline is made of; versions come from leadscore's pins, not from here.
PIP_REQUIREMENTS = ["leadscore", "scikit-learn", "lightgbm", "skops", "pandas", "numpy"]


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


# The environment variables MLflow's fluent API reads or exports while a run is recorded.
_RECORDING_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")


@contextmanager
def recording_to(uri: str | None = None) -> Iterator[str]:
    """Point MLflow's fluent API (start_run, log_*, register_model) at the store for this block only.

    The registry lives in the tracking store. MLflow exports both URIs into the process environment
    itself, so the environment is saved and restored around the block, leaving the process as it was.
    """
    uri = uri or tracking_uri()
    saved = {name: os.environ.get(name) for name in _RECORDING_ENV}
    # MLflow has no public way to ask whether a URI was set explicitly (rather than read from the
    # environment); its module globals say it, so those are saved and put back as they were.
    from mlflow.tracking._model_registry import utils as registry_state
    from mlflow.tracking._tracking_service import utils as tracking_state

    explicit = tracking_state._tracking_uri, registry_state._registry_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        yield uri
    finally:
        mlflow.set_tracking_uri(explicit[0])
        mlflow.set_registry_uri(explicit[1])
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def client_for(uri: str | None = None) -> MlflowClient:
    """A client of the configured tracking store and its registry, without touching process-wide URIs."""
    uri = uri or tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(name: str, uri: str | None = None) -> str:
    """The id of the experiment `name`, created on first use (without making it the process's active one)."""
    client = client_for(uri)
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found else client.create_experiment(name)


def download_model(uri: str) -> Path:
    """The local folder of models:/NAME@alias, models:/NAME/N or runs:/ID/model (a folder is itself)."""
    if Path(uri).is_dir():
        return Path(uri)
    store = tracking_uri()
    # MLflow 3 resolves runs:/ID/model (a logged model) partly through the process-wide URI even when
    # one is passed, so the store is also set for this call only.
    with recording_to(store):
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, tracking_uri=store, registry_uri=store))


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


@dataclass
class LoadedModel:
    """A fitted Pipeline and the metadata logged beside it."""

    pipeline: object
    metadata: ModelMetadata
    uri: str
    version: str | None = None

    @cached_property
    def glossary(self) -> Glossary:
        """Display names of fields and values the model was trained with."""
        return glossary_from(self.metadata.display)


def resolve_version(uri: str) -> str | None:
    """The registry version behind models:/NAME@alias or models:/NAME/N, if any."""
    parsed = parse_model_uri(uri)
    if parsed.alias:
        return str(client_for().get_model_version_by_alias(parsed.name, parsed.alias).version)
    return parsed.version


def load_model(uri: str) -> LoadedModel:
    """Load a model from models:/NAME@alias, runs:/ID/model or a local folder, with trusted types only."""
    try:
        local = download_model(uri)
        version = resolve_version(uri)
    except Exception as exc:  # registry unreachable, unknown name/alias, missing run
        raise LeadscoreError(f"cannot find model {uri!r}: {str(exc).splitlines()[0]}") from None
    return load_folder(local, uri, version)


def moved_to_current(model: bytes) -> bytes:
    """A skops file whose classes named by their pre-move paths (MOVED_TYPES) name their current ones.
    skops imports a class from the module its schema names, so only the schema is rewritten; the
    arrays beside it are copied as they are."""
    with zipfile.ZipFile(io.BytesIO(model)) as source:
        schema = json.loads(source.read("schema.json"))
        if not _rename_classes(schema):
            return model
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = json.dumps(schema).encode() if item.filename == "schema.json" else source.read(item)
                target.writestr(item, data)
    return out.getvalue()


def _rename_classes(node) -> bool:
    """Point every schema node of a moved class at its current module, in place; True when any moved."""
    moved = False
    if isinstance(node, dict):
        old = f"{node.get('__module__')}.{node.get('__class__')}"
        if old in MOVED_TYPES:
            node["__module__"] = MOVED_TYPES[old].rsplit(".", 1)[0]
            moved = True
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return False
    return any([_rename_classes(child) for child in children]) or moved


def load_folder(local: Path, uri: str, version: str | None = None) -> LoadedModel:
    """The model saved in the folder `local` (downloaded from `uri`): its metadata validated, its
    Pipeline loaded with the trusted types only. Raises LeadscoreError naming the model."""
    where = f"model {uri}" + (f" version {version}" if version else "")
    model_file = local / "model.skops"
    if not model_file.is_file():
        raise LeadscoreError(f"{where}: no model.skops inside; leadscore models are saved by `leadscore train`")
    untrusted = set(skops.io.get_untrusted_types(file=model_file)) - set(TRUSTED_TYPES)
    if untrusted:
        raise LeadscoreError(f"{where}: refusing to load untrusted types {sorted(untrusted)}")
    # MLflow's own file, written by MLflow's YAML dumper: read as such, not as a leadscore config file.
    mlmodel = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8")) if (local / "MLmodel").is_file() else {}
    metadata = read_metadata((mlmodel.get("metadata") or {}).get("leadscore"), where)
    pipeline = skops.io.loads(moved_to_current(model_file.read_bytes()), trusted=TRUSTED_TYPES)
    return LoadedModel(pipeline=pipeline, metadata=metadata, uri=uri, version=version)
