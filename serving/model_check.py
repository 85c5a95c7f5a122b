"""What a model must pass before the service swaps it in: metadata valid against its schema, and a
canary lead from its own training sample (the input example saved with it) scored through the model.

The registry is asked for the version behind an alias once, and that exact version is downloaded, so
the version reported is the version served even when the alias moves meanwhile."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.errors import LeadscoreError
from training.tracking import LoadedModel, configure_tracking, load_model, resolve_version


class Bands(BaseModel):
    model_config = ConfigDict(extra="allow")
    hot: float = Field(ge=0.0, le=1.0)
    warm: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.warm > self.hot:
            raise ValueError("the warm threshold is above the hot one")
        return self


class ModelMetadata(BaseModel):
    """The part of a model's metadata the service relies on (more keys are allowed)."""

    model_config = ConfigDict(extra="allow")
    dataset: str = Field(min_length=1)
    bands: Bands
    features: dict[str, str] = Field(min_length=1)
    id_field: str | None = None
    missing_values: list[str] = Field(default_factory=list)
    display: dict | None = None


def fetch_model(uri: str) -> tuple[LoadedModel, dict]:
    """The model behind `uri`, its metadata validated, and its canary lead. Raises LeadscoreError."""
    import mlflow

    configure_tracking()  # the registry is the tracking store's, never a URI left in the environment
    try:
        version = resolve_version(uri)
        pinned = uri.split("@")[0] + f"/{version}" if version and "@" in uri else uri
        local = Path(uri) if Path(uri).is_dir() else Path(mlflow.artifacts.download_artifacts(artifact_uri=pinned))
    except Exception as exc:  # registry unreachable, unknown name/alias, missing run
        raise LeadscoreError(f"cannot find model {uri!r}: {str(exc).splitlines()[0][:200]}") from None
    model = load_model(str(local))
    model.uri, model.version = uri, version
    try:
        ModelMetadata.model_validate(model.metadata)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise LeadscoreError(f"model {uri} version {version}: invalid metadata ({problems})") from None
    return model, canary_lead(local)


def canary_lead(folder: Path) -> dict:
    """The first lead of the input example MLflow keeps with the model (a row of its training data)."""
    path = folder / "input_example.json"
    if not path.is_file():
        raise LeadscoreError(f"{folder}: no input_example.json to test the model with; retrain with `leadscore train`")
    data = json.loads(path.read_text(encoding="utf-8"))
    data = data.get("dataframe_split", data) if isinstance(data, dict) else data
    if isinstance(data, dict) and data.get("columns") and data.get("data"):
        return dict(zip(data["columns"], data["data"][0], strict=True))
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    raise LeadscoreError(f"{path}: no lead in the model's input example")
