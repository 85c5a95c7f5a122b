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


class PredictionTimeSpec(Strict):
    """When each training row is scored: a fixed age after creation (snapshots are not built yet)."""

    age_days: float = Field(default=3.0, ge=0.0)


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
