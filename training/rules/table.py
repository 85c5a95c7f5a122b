"""Rule-based score: a points table in YAML, the way sales teams score leads by hand.

Each rule maps a field and a value (or a numeric range) to points and a reason sentence in English
and Chinese. Used as a baseline in training and as the service's fallback when the model cannot answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from features.config_file import Strict, load_yaml_model
from features.glossary import EMPTY, Glossary
from features.names import safe_name

if TYPE_CHECKING:  # the contract imports this module's tables (learned rules)
    from training.registry.contract import ModelMetadata


class Range(Strict):
    min: float | None = None  # inclusive
    max: float | None = None  # exclusive
    points: float


class Rule(Strict):
    field: str
    points: dict[str, float] = Field(default_factory=dict)
    ranges: list[Range] = Field(default_factory=list)
    reason: dict[str, str] = Field(default_factory=lambda: {"en": "{field} is {value}", "zh": "{field}：{value}"})
    # Values of the field that mean "not known yet" (they score 0): a rep can ask about them.
    unknown: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_points(self) -> Rule:
        if not self.points and not self.ranges:
            raise ValueError(f"rule for '{self.field}' needs 'points' (value: points) or 'ranges'")
        self.points = {str(k).strip().lower(): v for k, v in self.points.items()}  # values match any case
        return self

    def points_for(self, value: object) -> float:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return 0.0
        if self.points:
            return float(self.points.get(str(value).strip().lower(), 0.0))
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0.0
        for r in self.ranges:
            if (r.min is None or number >= r.min) and (r.max is None or number < r.max):
                return r.points
        return 0.0


class RuleTable(Strict):
    name: str = "rules"
    max_score: float = 100.0
    rules: list[Rule]

    def _lookup(self, record: Mapping[str, object], field: str) -> object:
        if field in record:
            return record[field]
        wanted = safe_name(field)
        for key, value in record.items():
            if safe_name(key) == wanted:
                return value
        return None

    def score_record(self, record: Mapping[str, object], lang: str = "en",
                     glossary: Glossary = EMPTY) -> tuple[float, list[dict]]:
        """Points (0 to max_score) and one reason per rule that gave points, largest first; field and
        value names in the reason text come from the glossary."""
        total, reasons = 0.0, []
        for rule in self.rules:
            value = self._lookup(record, rule.field)
            points = rule.points_for(value)
            total += points
            if points:
                template = rule.reason.get(lang) or rule.reason.get("en", "{field} is {value}")
                label = glossary.field(rule.field, lang)
                reasons.append({"feature": rule.field, "label": label, "value": value, "points": points,
                                "text": template.format(field=label, value=glossary.value(value, lang))})
        reasons.sort(key=lambda r: -r["points"])
        return float(min(total, self.max_score)), reasons

    def points_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Scores 0-100 for every row; each rule looks up each distinct value once (a million leads have
        a handful of distinct values in most fields)."""
        total = np.zeros(len(frame))
        columns = {safe_name(c): c for c in frame.columns}
        for rule in self.rules:
            column = rule.field if rule.field in frame.columns else columns.get(safe_name(rule.field))
            if column is not None:
                codes, distinct = pd.factorize(frame[column])  # missing values get code -1: no points
                points = np.array([rule.points_for(value) for value in distinct] + [0.0])
                total += points[codes]
        return np.minimum(total, self.max_score)


def rules_for_model(metadata: ModelMetadata, configured: RuleTable | None) -> RuleTable | None:
    """The one choice of the points table that scores leads beside a model, for the service and batch alike:
    the points the model learned (its spec named no table); else its spec's table, when that file is on
    this machine; else `configured` (the service's LEADSCORE_RULES; batch has none). None when the spec
    named no table and nothing was learned: another data set's table would score these leads 0 and call
    it a rule score. Models from before the spec's `rules` key was recorded keep `configured`."""
    if metadata.fitted_rules:
        return RuleTable.model_validate(metadata.fitted_rules)
    if "rules" not in metadata.model_fields_set:
        return configured
    if metadata.rules is None:
        return None
    return load_rules(metadata.rules) if Path(metadata.rules).is_file() else configured


def load_rules(path: str | Path) -> RuleTable:
    return load_yaml_model(path, RuleTable, "rule table", "check 'rules' in the spec")
