"""MLflow tracking and registry, and safe model loading.

Embedded default: an SQLite tracking store and registry in the working folder (mlflow.db, artifacts
in mlruns/); any MLFLOW_TRACKING_URI is honoured. Models are saved in the skops format and loaded
only with skops and the explicit trusted-type list below, never with unrestricted pickle. (MLflow's
own loader reads the trusted list from the model files themselves, so it is not used for loading.)
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import mlflow
import skops.io
import yaml
from mlflow.tracking import MlflowClient

from features.errors import LeadscoreError
from features.glossary import Glossary, glossary_from

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
CHAMPION = "champion"

# Every type a leadscore model may contain. Anything else in a model file refuses to load.
TRUSTED_TYPES = [
    "collections.OrderedDict",
    "features.encoder.LeadEncoder",
    "training.model.LeadClassifier",
    "training.linear.LinearMember",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.basic.Booster",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
]
PIP_REQUIREMENTS = ["leadscore", "scikit-learn", "lightgbm", "skops", "pandas", "numpy"]


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


def configure_tracking() -> str:
    """Point MLflow at the configured store (called by commands, never at import)."""
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    # The registry lives in the tracking store. (MLflow exports MLFLOW_REGISTRY_URI into the process
    # environment itself, so reading that variable back would return a stale store.)
    mlflow.set_registry_uri(uri)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    return uri


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
    metadata: dict
    uri: str
    version: str | None = None

    @cached_property
    def glossary(self) -> Glossary:
        """Display names of fields and values the model was trained with."""
        return glossary_from(self.metadata.get("display"))


def resolve_version(uri: str) -> str | None:
    """The registry version behind models:/NAME@alias or models:/NAME/N, if any."""
    if not uri.startswith("models:/"):
        return None
    name, _, rest = uri[len("models:/"):].partition("@")
    client = MlflowClient()
    if rest:
        return str(client.get_model_version_by_alias(name, rest).version)
    name, _, number = uri[len("models:/"):].partition("/")
    return number or None


def load_model(uri: str) -> LoadedModel:
    """Load a model from models:/NAME@alias, runs:/ID/model or a local folder, with trusted types only."""
    configure_tracking()
    try:
        local = Path(uri) if Path(uri).is_dir() else Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
        version = resolve_version(uri)
    except Exception as exc:  # registry unreachable, unknown name/alias, missing run
        raise LeadscoreError(f"cannot find model {uri!r}: {str(exc).splitlines()[0]}") from None
    model_file = local / "model.skops"
    if not model_file.is_file():
        raise LeadscoreError(f"{uri}: no model.skops inside; leadscore models are saved by `leadscore train`")
    untrusted = set(skops.io.get_untrusted_types(file=model_file)) - set(TRUSTED_TYPES)
    if untrusted:
        raise LeadscoreError(f"{uri}: refusing to load untrusted types {sorted(untrusted)}")
    pipeline = skops.io.load(model_file, trusted=TRUSTED_TYPES)
    mlmodel = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8")) if (local / "MLmodel").is_file() else {}
    metadata = (mlmodel.get("metadata") or {}).get("leadscore", {})
    return LoadedModel(pipeline=pipeline, metadata=metadata, uri=uri, version=version)
