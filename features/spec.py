"""Dataset spec: a YAML file that says where leads and outcomes are and which columns may be features.

Validated with pydantic: unknown and missing keys are errors that name the key. Relative paths are
read from the current working directory (the project root when run through the Makefile).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from features.config_file import Strict, load_yaml_model
from features.relations_spec import ActivitiesSpec, LookupSpec
from features.source_spec import TableSource


class LeadsSpec(TableSource):
    id: str
    created_at: str | None = None
    missing_values: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_source(self) -> LeadsSpec:
        if self.path is None and self.sql is None:
            raise ValueError("leads needs 'path' (CSV or Parquet) or 'sql' ({url, query})")
        return self


class OutcomeSpec(TableSource):
    """Either `column` of the leads table, or a separate table of won deals joined on `id`."""

    column: str | None = None
    positive: list[Any] = Field(default_factory=lambda: [1])
    negative: list[Any] | None = None  # None: every other value of `column` is a loss
    # Values meaning "still open" (a pipeline stage such as Engaging; "" for an empty won/lost field):
    # never labels, left out of training, counted as not yet known; the leads `score` is for.
    open: list[Any] = Field(default_factory=list)
    id: str | None = None
    won_at: str | None = None
    horizon_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> OutcomeSpec:
        table = self.path is not None or self.sql is not None
        if (self.column is None) == (not table):
            raise ValueError("outcome needs either 'column' or a table ('path' or 'sql' with 'id')")
        if table and self.id is None:
            raise ValueError("an outcome table needs 'id': its column holding the lead id")
        if self.horizon_days is not None and self.won_at is None:
            raise ValueError("'horizon_days' needs 'won_at': the column with the date the deal was won")
        return self

    @property
    def is_table(self) -> bool:
        return self.column is None


class FeaturesSpec(Strict):
    exclude: list[str] = Field(default_factory=list)
    known_after_contact: list[str] = Field(default_factory=list)
    pii: list[str] = Field(default_factory=list)
    allow_strong: list[str] = Field(default_factory=list)
    # Columns that name people (owners, sales reps): they stay features, but the managers' page shows a
    # person's effect only where it is beyond noise, as a description of the leads, not of the person.
    people: list[str] = Field(default_factory=list)
    leak_threshold: float = Field(default=0.90, gt=0.5, le=1.0)
    leak_warn: float = Field(default=0.75, gt=0.5, le=1.0)  # strong enough to warn about, not to stop

    @model_validator(mode="after")
    def _warn_below_stop(self) -> FeaturesSpec:
        if self.leak_warn > self.leak_threshold:
            raise ValueError("'leak_warn' must not be above 'leak_threshold'")
        return self

    @model_validator(mode="after")
    def _people_are_not_pii(self) -> FeaturesSpec:
        # pii is never a feature and never shown; a people column is a feature shown with care: not both.
        both = [c for c in self.people if c in self.pii]
        if both:
            raise ValueError(f"{both[0]!r} is under both 'pii' and 'people': personal data is never a feature; "
                             "keep it under one of them")
        twice = sorted({c for c in self.people if self.people.count(c) > 1})
        if twice:
            raise ValueError(f"{twice[0]!r} is listed twice under 'people': list it once")
        return self


class AskableSpec(Strict):
    """A field a rep can ask the lead about: the answers the model may be given, and the values that
    mean "not known yet" besides a missing value (e.g. `unknown`)."""

    answers: list[Any] = Field(min_length=2)
    unknown: list[Any] = Field(default_factory=list)

    @model_validator(mode="after")
    def _as_text(self) -> AskableSpec:
        # Values as the export has them, as text (YAML reads `1` as a number).
        self.answers = [str(v) for v in self.answers]
        self.unknown = [str(v) for v in self.unknown]
        return self


class EvaluationSpec(Strict):
    folds: int = Field(default=5, ge=2, le=20)
    seed: int = 0
    source_column: str | None = None  # the lead-source column for per-source metrics; guessed when None


class SyntheticSpec(Strict):
    """Marks a spec whose files `leadscore synth` makes: commands generate them when missing."""

    leads: int = Field(default=20_000, gt=0)
    seed: int = 0
    out: str


class BandsSpec(Strict):
    """Hot and warm as shares of leads ranked by score; whatever the shares, a lead whose probability is
    at or above the average lead's is never cold (so 63 is not "cold" where the average lead scores 60)."""

    hot: float = Field(default=0.10, gt=0.0, lt=1.0)  # the top 10% by score
    warm: float = Field(default=0.30, ge=0.0, lt=1.0)  # the next 30%

    @model_validator(mode="after")
    def _fits(self) -> BandsSpec:
        if self.hot + self.warm >= 1.0:
            raise ValueError("'bands.hot' plus 'bands.warm' must be below 1: some leads must be cold")
        return self


class ActionSpec(Strict):
    """The next step for one band, in English and Chinese."""

    channel: str
    within_hours: float | None = None
    en: str
    zh: str


class DatasetSpec(Strict):
    name: str
    leads: LeadsSpec
    outcome: OutcomeSpec
    lookups: list[LookupSpec] = Field(default_factory=list)  # related tables joined by key (features/lookups.py)
    activities: ActivitiesSpec | None = None  # activity events, aggregated point-in-time (features/activities.py)
    features: FeaturesSpec = Field(default_factory=FeaturesSpec)
    rules: str | None = None
    display: str | None = None  # glossary of field and value names per language (features/glossary.py)
    # Fields a rep can ask about, with their answers (training/explain/askable.py); None: the rule table's.
    askable: dict[str, AskableSpec] | None = None
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    synthetic: SyntheticSpec | None = None
    # What one row is: a new lead (actions: call, nurture) or an opportunity already open (next steps of a deal).
    record: Literal["lead", "opportunity"] = "lead"
    bands: BandsSpec = Field(default_factory=BandsSpec)
    actions: dict[Literal["hot", "warm", "cold"], ActionSpec] | None = None  # None: the defaults for `record`

    @model_validator(mode="after")
    def _snapshots_need_win_dates(self) -> DatasetSpec:
        prediction = self.activities.prediction if self.activities else None
        if prediction is None or not prediction.snapshots:
            return self
        if not self.outcome.is_table or self.outcome.won_at is None:
            raise ValueError("'activities.prediction.snapshot_every_days' labels each snapshot by a win within "
                             "'horizon_days' after it: it needs a won-deals table with dates ('outcome.path' or "
                             "'outcome.sql', 'outcome.id' and 'outcome.won_at')")
        horizon = self.outcome.horizon_days
        if horizon is not None and horizon != prediction.horizon_days:
            raise ValueError(f"'outcome.horizon_days' ({horizon}) counts from creation, but snapshots are labelled "
                             f"from each snapshot ('activities.prediction.horizon_days': "
                             f"{prediction.horizon_days:g}); remove 'outcome.horizon_days' or make them equal")
        return self

    def never_features(self) -> set[str]:
        """Columns that must never reach the model, whatever else is said."""
        f = self.features
        # A lead's close date is known only once its outcome is: never a feature.
        closed = {self.activities.prediction.closed_at} if self.activities and self.activities.prediction.closed_at \
            else set()
        return set(f.exclude) | set(f.known_after_contact) | set(f.pii) | closed




def load_spec(path: str | Path) -> DatasetSpec:
    """Read and validate a dataset spec, raising LeadscoreError that names the file and key."""
    return load_yaml_model(path, DatasetSpec, "dataset spec", "pass --spec with a YAML file (see data/specs/)",
                           shape=" with keys name, leads, outcome, ...")
