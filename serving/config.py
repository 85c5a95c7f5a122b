"""Service configuration: environment variables, plus an optional YAML file for bands and actions.

LEADSCORE_MODEL_URI       model to serve (default models:/leadscore-synthetic@champion)
LEADSCORE_API_TOKEN       when set, /predict, /reload and /model need `Authorization: Bearer <token>`
LEADSCORE_PREDICTION_DB   SQLAlchemy URL of the prediction log (default sqlite:///predictions.db)
LEADSCORE_RULES           rule table for the fallback score (default data/specs/rules/default.yaml)
LEADSCORE_DISPLAY         display glossary for rule reasons while no model is loaded (a loaded model
                          brings its own; default data/specs/display/synthetic.yaml)
LEADSCORE_PREDICTION_SPOOL local file where log rows wait for the database (default predictions.spool)
LEADSCORE_SERVICE_CONFIG  YAML file with any of the fields of ServiceConfig below
LEADSCORE_METRICS         "1" turns on Prometheus metrics at /metrics (BentoML reads it when the service
                          class is defined, so it is read alone by `metrics_enabled`)
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from features.config_file import load_yaml_model
from features.errors import LeadscoreError
from training.loop.store import DEFAULT_PREDICTION_DB
from training.scoring.answer import MAX_MISSING_SHARE, RULE_BANDS

SPECS = Path(__file__).resolve().parents[1] / "data" / "specs"
DEFAULT_RULES = SPECS / "rules" / "default.yaml"
DEFAULT_DISPLAY = SPECS / "display" / "synthetic.yaml"


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str
    within_hours: float | None = None
    en: str
    zh: str


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_uri: str = "models:/leadscore-synthetic@champion"
    api_token: str | None = Field(default=None, repr=False)
    prediction_db: str = DEFAULT_PREDICTION_DB
    rules: str = str(DEFAULT_RULES)
    display: str | None = str(DEFAULT_DISPLAY)
    bands: dict[str, float] | None = None  # {"hot": p, "warm": p}; None: the thresholds learned in training
    rule_bands: dict[str, float] = Field(default_factory=lambda: dict(RULE_BANDS))  # rule points
    # None: the served model's actions (its spec's, or the defaults for its kind of record); monitor reads
    # the hot deadline from here too (`leadscore monitor --service-config`)
    actions: dict[str, Action] | None = None
    max_leads: int = Field(default=1000, ge=1)
    # more missing features: rules answer (batch scoring uses the same share, training/scoring/answer.py)
    max_missing_share: float = Field(default=MAX_MISSING_SHARE, ge=0.0, le=1.0)
    top_reasons: int = Field(default=3, ge=1, le=10)
    questions: bool = False  # /predict answers questions worth asking unless the request says otherwise
    question_min_change: float = Field(default=0.05, gt=0.0, le=1.0)  # probability change worth a question
    last_activity_field: str | None = None  # lead field with its last activity time: follow_up_by counts from it
    # Leads sent without `activities` get theirs from the loop database's activity table (prediction_db,
    # filled by `leadscore activities import`), by the model's id field, as of the lead's as_of
    activities_from_db: bool = False
    reload_seconds: float = Field(default=0.0, ge=0.0)  # >0: check the registry for a new champion
    retry_seconds: float = Field(default=30.0, gt=0.0)  # while on rules, retry loading the model
    prediction_spool: str = "predictions.spool"
    max_spool_bytes: int = Field(default=64 << 20, ge=1 << 16)  # beyond it, log rows are dropped and counted
    max_body_bytes: int = Field(default=8 << 20, ge=1024)  # larger request bodies: 413
    max_string_chars: int = Field(default=1000, ge=16)  # longer text values or field names: 422

    @staticmethod
    def metrics_enabled(environ: dict | None = None) -> bool:
        return (os.environ if environ is None else environ).get("LEADSCORE_METRICS") == "1"

    def action_dicts(self) -> dict[str, dict] | None:
        """`actions` as training/scoring/answer.py `follow_up_actions` takes them; None when not set."""
        return None if self.actions is None else {band: a.model_dump() for band, a in self.actions.items()}

    @classmethod
    def from_env(cls, environ: dict | None = None) -> ServiceConfig:
        env = os.environ if environ is None else environ
        values: dict = {}
        config_file = env.get("LEADSCORE_SERVICE_CONFIG")
        if config_file:  # read and checked like every YAML file of the project; the environment wins
            values = load_yaml_model(config_file, cls, "service config", "check LEADSCORE_SERVICE_CONFIG",
                                     empty={}).model_dump(exclude_unset=True)
        for key, name in (("model_uri", "LEADSCORE_MODEL_URI"), ("api_token", "LEADSCORE_API_TOKEN"),
                          ("prediction_db", "LEADSCORE_PREDICTION_DB"), ("rules", "LEADSCORE_RULES"),
                          ("display", "LEADSCORE_DISPLAY"),
                          ("prediction_spool", "LEADSCORE_PREDICTION_SPOOL")):
            if env.get(name):
                values[key] = env[name]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise LeadscoreError(f"invalid service config: {exc}") from None


def service_actions(path: str | Path | None = None, environ: dict | None = None) -> dict[str, dict] | None:
    """The actions of a service config file (default: the file LEADSCORE_SERVICE_CONFIG names, which the
    service reads), for monitor's hot deadline; None without a file or when it sets none."""
    env = os.environ if environ is None else environ
    config_file = str(path) if path else env.get("LEADSCORE_SERVICE_CONFIG")
    if not config_file:
        return None
    return ServiceConfig.from_env({"LEADSCORE_SERVICE_CONFIG": config_file}).action_dicts()


def running_config() -> ServiceConfig:
    """The ServiceConfig of the service running in this worker (`LeadScoring.config`). The middleware
    asks for it on its first request: BentoML builds middleware before it creates the service
    instance, and every request comes after that."""
    import bentoml

    return bentoml.get_current_service().config
