"""Spec keys for a lead held across tables and time: lookup tables joined by key, and activity events.

    lookups:
      - name: account              # prefixes its columns: 'account industry' in reasons and on the page
        path: accounts.csv          # or sql: {url, query}
        key: account_id             # the lookup table's key column (unique: a duplicate stops the build)
        via: account_id             # the leads' column holding that key, or 'OTHER.COLUMN' for a chain
        columns: [industry, size]   # optional: the columns to bring (default: every other column)
        aliases: {GTXPro: GTX Pro}  # optional: key values as the leads spell them -> the table's key
        warn_unmatched: 0.05        # share of leads matching nothing above which the build warns
    activities:
      path: activities.csv
      lead_id: lead_id
      at: occurred_at
      type: activity
      channel: channel              # optional: first and last touch channel
      timezone: null                # zone of times without one, needed only when others carry a zone
      windows: [7, 30, 90]          # days; counts per type per window
      half_life_days: 14            # the decayed engagement sum halves every this many days
      max_types: 12                 # rarer types share 'other', so the feature count is bounded
      prediction: {age_days: 3}     # each training row's prediction time: this many days after creation
      # or snapshots: a row per lead every 7 days from creation while it is open, labelled by a win
      # within 30 days after the snapshot (needs 'outcome.won_at'; see features/snapshots.py)
      # prediction: {snapshot_every_days: 7, horizon_days: 30, max_age_days: 180, closed_at: closed_on}
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from features.config_file import Strict
from features.source_spec import TableSource


class LookupSpec(TableSource):
    """A many-to-one table joined onto the leads (or onto another lookup: a chain) by a key."""

    name: str
    key: str
    via: str
    columns: list[str] | None = None
    aliases: dict[str, str] = Field(default_factory=dict)
    warn_unmatched: float = Field(default=0.05, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _has_source(self) -> LookupSpec:
        if self.path is None and self.sql is None:
            raise ValueError(f"lookup {self.name!r} needs 'path' (CSV or Parquet) or 'sql' ({{url, query}})")
        return self

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases_as_text(cls, value):
        return {str(k): str(v) for k, v in (value or {}).items()}

    @property
    def parent(self) -> str | None:
        """The lookup this one hangs from ('account' in 'account.parent_id'), None for the leads."""
        return self.via.split(".", 1)[0] if "." in self.via else None

    @property
    def on_column(self) -> str:
        return self.via.split(".", 1)[1] if "." in self.via else self.via


SNAPSHOT_KEYS = ("horizon_days", "max_age_days", "closed_at")


class PredictionTimeSpec(Strict):
    """When each training row is scored: a fixed age after creation (one row per lead, the default), or
    snapshots (a row per lead every `snapshot_every_days` from creation while it is open, labelled by a
    win within `horizon_days` after the snapshot)."""

    age_days: float = Field(default=3.0, ge=0.0)
    snapshot_every_days: float | None = Field(default=None, gt=0.0)
    horizon_days: float | None = Field(default=None, gt=0.0)
    max_age_days: float | None = Field(default=None, ge=0.0)  # no snapshot after this age (None: while open)
    closed_at: str | None = None  # the leads' column with the date a lead was closed (won or lost): none after it

    @model_validator(mode="after")
    def _one_mode(self) -> PredictionTimeSpec:
        if self.snapshot_every_days is None:
            extra = [k for k in SNAPSHOT_KEYS if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"'activities.prediction.{extra[0]}' belongs to snapshots: set "
                                 "'snapshot_every_days' too, or remove it for one row per lead at 'age_days'")
            return self
        if "age_days" in self.model_fields_set:
            raise ValueError("'activities.prediction' takes either 'age_days' (one row per lead at a fixed age) or "
                             "'snapshot_every_days' with 'horizon_days' (a row every K days while the lead is "
                             "open), not both; remove one")
        if self.horizon_days is None:
            raise ValueError("'activities.prediction.snapshot_every_days' needs 'horizon_days': each snapshot is "
                             "labelled by a win within this many days after it")
        if self.closed_at is None and self.max_age_days is None:
            # A won-deals table dates wins only: without either key a lost lead would look open for ever.
            raise ValueError("snapshots need to know when a lead stops being open: set "
                             "'activities.prediction.closed_at' (the leads' column with the date a lead was won or "
                             "lost) or 'activities.prediction.max_age_days' (no snapshot after this age), or both")
        return self

    @property
    def snapshots(self) -> bool:
        return self.snapshot_every_days is not None

    def describe(self) -> str:
        if self.snapshots:
            return (f"every {self.snapshot_every_days:g} days from creation while open, labelled by a win within "
                    f"{self.horizon_days:g} days")
        return f"{self.age_days:g} days after creation"


class ActivitiesSpec(TableSource):
    lead_id: str
    at: str
    type: str
    value: str | None = None
    channel: str | None = None
    timezone: str | None = None  # zone of times written without one, when others carry one (e.g. "UTC")
    windows: list[int] = Field(default_factory=lambda: [7, 30, 90])
    half_life_days: float = Field(default=14.0, gt=0.0)
    max_types: int = Field(default=12, ge=1, le=50)
    min_type_count: int = Field(default=20, ge=1)
    prediction: PredictionTimeSpec = Field(default_factory=PredictionTimeSpec)

    @model_validator(mode="after")
    def _valid(self) -> ActivitiesSpec:
        if self.path is None and self.sql is None:
            raise ValueError("activities needs 'path' (CSV or Parquet) or 'sql' ({url, query})")
        if not self.windows or any(w <= 0 for w in self.windows) or len(set(self.windows)) != len(self.windows):
            raise ValueError("'activities.windows' must be distinct positive numbers of days, e.g. [7, 30, 90]")
        self.windows = sorted(self.windows)
        return self
