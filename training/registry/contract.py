"""What a model carries beside its Pipeline: `ModelMetadata`, the typed and versioned contract between
training and everything that reads a model (service, batch scoring, report, monitor, retrain), stored
in the MLmodel file under `leadscore` and validated when the model is loaded; and the data hash.

Versions and their migration rule (`read_metadata`):
- 0: models trained before issue 11 carry no `version`. They named the served entry of `metrics` as
  `served_model` (or `model_kind`, or `final_model.kind`); before issue 12 none of these existed and
  LightGBM was served. Migration: `served` is the first of those that names an entry of `metrics`, else
  "lightgbm" (else the first entry, when `metrics` has no "lightgbm"); the old keys are dropped. Every
  other key kept its meaning.
- 1: this module's `ModelMetadata`. Optional keys added within version 1 (`askable`, `created_field`,
  `created_format`, `people`) default to "not recorded": a model without them loads and lacks only what they enable
  (no questions worth asking, no follow_up_by).
A version above METADATA_VERSION is refused: the model was written by a newer leadscore.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.errors import LeadscoreError

METADATA_VERSION = 1
LEGACY_SERVED = "lightgbm"  # what models before issue 12 served


class Bands(BaseModel):
    """Probability thresholds: at or above `hot` is hot, at or above `warm` warm, the rest cold."""

    model_config = ConfigDict(extra="allow")
    hot: float = Field(ge=0.0, le=1.0)
    warm: float = Field(ge=0.0, le=1.0)
    average: float | None = None  # the average lead's probability (training's conversion rate)
    quantiles: list[float] | None = None  # held-out score percentiles 0..100, for a lead's rank
    hot_share: float | None = None  # the spec's shares (features/spec.py BandsSpec), for the band's meaning
    warm_share: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.warm > self.hot:
            raise ValueError("the warm threshold is above the hot one")
        return self

    def thresholds(self) -> dict[str, float]:
        return {"hot": self.hot, "warm": self.warm}


class ModelMetadata(BaseModel):
    """Everything a model carries beside its Pipeline. Only `dataset`, `bands` and `features` are
    required: older models may lack the rest, and readers treat the defaults as "not recorded"."""

    # Keys this version does not know (a later leadscore's additions) are dropped, not refused.
    model_config = ConfigDict(extra="ignore")
    version: int = METADATA_VERSION
    dataset: str = Field(min_length=1)
    bands: Bands
    features: dict[str, str] = Field(min_length=1)  # safe column name -> name in the export
    trained_at: str | None = None
    rows: int | None = None
    positive_rate: float | None = None
    data_window: list[str] | None = None  # first and last creation date of the training leads
    protocol: str | None = None
    protocol_zh: str | None = None
    metrics: dict[str, dict[str, float]] = Field(default_factory=dict)  # model -> held-out metric -> value
    served: str = LEGACY_SERVED  # the entry of `metrics` that is the served model
    served_kind: str | None = None
    conversion_by_band: dict[str, dict[str, Any]] = Field(default_factory=dict)
    conversion_by_source: dict[str, Any] = Field(default_factory=dict)
    source_column: str | None = None
    id_field: str | None = None
    missing_values: list[str] = Field(default_factory=list)
    known_after_contact: list[str] = Field(default_factory=list)
    leak_warnings: list[dict[str, Any]] = Field(default_factory=list)
    pii: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)
    rules: str | None = None  # the spec's rule table (a path), None when it named none
    display: dict[str, Any] | None = None  # features/glossary.py Glossary, dumped
    final_model: dict[str, Any] = Field(default_factory=dict)
    training_summary: dict[str, Any] = Field(default_factory=dict)  # training/evaluate/drift.py, for drift checks
    fitted_rules: dict[str, Any] | None = None  # training/rules/table.py RuleTable learned when `rules` is None
    page: dict[str, Any] | None = None  # chart data of the managers' page (training/report/cards.py)
    skill: dict[str, Any] = Field(default_factory=dict)  # bootstrap intervals and verdicts (training/evaluate/skill.py)
    record: str = "lead"  # what one row is: lead or opportunity (features/spec.py)
    actions: dict[str, dict[str, Any]] | None = None  # next step per band, from the spec or the record's defaults
    # Fields a rep can ask about: answers, unknown values, answer shares per band (training/explain/askable.py)
    askable: dict[str, dict[str, Any]] = Field(default_factory=dict)
    created_field: str | None = None  # the spec's leads.created_at: a lead's creation time, for follow_up_by
    created_format: str | None = None  # the spec's leads.date_format
    people: list[str] = Field(default_factory=list)  # the spec's features.people: columns naming people

    def served_metrics(self) -> dict[str, float]:
        return self.metrics.get(self.served, {})


def migrate_metadata(raw: dict) -> dict:
    """Version-0 metadata (no `version`) rewritten as version 1; see the module docstring."""
    if "version" in raw:
        return raw
    data = dict(raw)
    metrics = data.get("metrics") or {}
    final = data.get("final_model") if isinstance(data.get("final_model"), dict) else {}
    named = (data.pop("served_model", None), data.pop("model_kind", None), data.get("served"), final.get("kind"))
    fallback = LEGACY_SERVED if LEGACY_SERVED in metrics or not metrics else next(iter(metrics))
    data["served"] = next((k for k in named if isinstance(k, str) and k in metrics), fallback)
    data["version"] = METADATA_VERSION
    return data


def read_metadata(raw: dict | None, where: str) -> ModelMetadata:
    """The metadata of the model at `where`, migrated and validated; a LeadscoreError names what is wrong."""
    if not isinstance(raw, dict) or not raw:
        raise LeadscoreError(f"{where}: no leadscore metadata in the MLmodel file; retrain with `leadscore train`")
    version = raw.get("version", 0)
    if not isinstance(version, int) or version > METADATA_VERSION:
        raise LeadscoreError(f"{where}: metadata version {version!r} is newer than this leadscore reads "
                             f"({METADATA_VERSION}); upgrade leadscore")
    try:
        return ModelMetadata.model_validate(migrate_metadata(raw))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise LeadscoreError(f"{where}: invalid metadata ({problems})") from None


def json_safe(metadata: ModelMetadata) -> ModelMetadata:
    """The metadata as it is stored and read back: numpy numbers become floats, NaN stays NaN (pydantic's
    own JSON mode would turn NaN into null, which a metric may not be)."""
    return ModelMetadata.model_validate(json.loads(json.dumps(metadata.model_dump(), default=float)))


def data_hash(frame: pd.DataFrame) -> str:
    """Content hash of the training set: two runs on the same rows share it."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(",".join(frame.columns).encode())
    return digest.hexdigest()[:16]


