"""Reasons behind a score: TreeSHAP contributions on exactly the matrix the model saw.

Contributions are in raw log-odds; they add up, with the base value, to the booster's raw score.
For people they are turned into score points (0-100 scale): each feature gets its share of the
difference between this lead's score and the base score, in proportion to its log-odds
contribution, so the points add up to that difference exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from features.glossary import EMPTY, Glossary
from training.explain.engagement import EngagementWords, engagement_words
from training.report.texts import REASONS

LANGUAGES = tuple(REASONS)


@dataclass
class Explanation:
    """Scores and per-feature contributions for a batch of leads."""

    probability: np.ndarray      # calibrated, shape (n,)
    raw: np.ndarray              # booster log-odds, shape (n,)
    contributions: np.ndarray    # log-odds per feature, shape (n, f)
    base_value: float            # log-odds of the average lead
    points: np.ndarray           # score points per feature, shape (n, f)
    base_score: float            # score of the average lead
    values: list[list[object]]   # the lead's own value per feature, as sent
    display_names: list[str]     # each feature's display (original) name
    matrix: np.ndarray           # the encoded rows the model saw, shape (n, f)
    engagement: EngagementWords | None = None  # the model's engagement features, for plain-word reasons

    @property
    def score(self) -> np.ndarray:
        return np.rint(self.probability * 100).astype(int)

    def head(self, n: int) -> Explanation:
        """The first `n` rows: the leads of a model call that stacked other rows after theirs."""
        return replace(self, probability=self.probability[:n], raw=self.raw[:n], contributions=self.contributions[:n],
                       points=self.points[:n], matrix=self.matrix[:n], values=self.values[:n])


def _split(pipeline):
    return pipeline.named_steps["encode"], pipeline.named_steps["classify"]


def _explain(pipeline, matrix: np.ndarray, values: list[list[object]]) -> Explanation:
    encoder, classifier = _split(pipeline)
    contrib = classifier.contributions(matrix)
    per_feature, base = contrib[:, :-1], float(contrib[0, -1]) if len(contrib) else 0.0
    raw = contrib.sum(axis=1)
    probability = classifier.calibrate(raw)
    base_score = float(classifier.calibrate(np.array([base]))[0] * 100)
    total = per_feature.sum(axis=1)
    delta = probability * 100 - base_score
    scale = np.divide(delta, total, out=np.zeros_like(delta), where=np.abs(total) > 1e-12)
    return Explanation(probability=probability, raw=raw, contributions=per_feature, base_value=base,
                       points=per_feature * scale[:, None], base_score=base_score, values=values,
                       display_names=list(encoder.display_names_), matrix=matrix,
                       engagement=engagement_words(pipeline))


def explain_frame(pipeline, frame: pd.DataFrame) -> Explanation:
    """Explain every row of a DataFrame of lead fields (original or safe names)."""
    encoder, _ = _split(pipeline)
    matrix = encoder.transform(frame)
    columns = {i: frame[column].astype(object).where(frame[column].notna(), None).tolist()
               for i, column in encoder.feature_columns(frame.columns).items()}
    values = [[columns[i][r] if i in columns else None for i in range(encoder.n_features_in_)]
              for r in range(len(frame))]
    return _explain(pipeline, matrix, values)


def record_values(encoder, records: Sequence[Mapping[str, object]]) -> list[list[object]]:
    """Each lead's own value per feature, as sent (for the reason sentences)."""
    values = []
    for record in records:
        row: list[object] = [None] * encoder.n_features_in_
        # Not encoder.feature_columns: here the first key with a value wins, so a later key naming
        # the same feature fills a None left by an earlier one (the reasons show a value when one was sent).
        for key, value in record.items():
            i = encoder.column_index_.get(key)
            if i is not None and row[i] is None:
                row[i] = value
        values.append(row)
    return values


def explain_matrix(pipeline, matrix: np.ndarray, values: list[list[object]]) -> Explanation:
    """Explain rows already encoded by the pipeline's own encoder."""
    return _explain(pipeline, matrix, values)


def explain_records(pipeline, records: Sequence[Mapping[str, object]]) -> Explanation:
    """Explain lead dicts through the encoder's pure-Python path (the service's hot path)."""
    encoder, _ = _split(pipeline)
    return _explain(pipeline, encoder.transform_records(records), record_values(encoder, records))


def format_value(value: object, lang: str, missing: set[str], glossary: Glossary) -> str:
    t = REASONS[lang]
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value) in missing | {""}:
        return glossary.missing(lang)  # the glossary's one word for it, as on the page
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        number = float(value)
        return t["number"].format(value=f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}")
    return t["value"].format(value=glossary.value(value, lang))


def reasons_for(explanation: Explanation, row: int, top: int = 3, lang: str = "en",
                missing_values: Sequence[str] = (), order: np.ndarray | None = None,
                glossary: Glossary = EMPTY) -> dict[str, list[dict]]:
    """The top positive and negative reasons of one lead, each with feature, label (the field's name in
    `lang`), value, points and text.

    `order` (features by |impact|, largest first) may be passed from `impact_order` for a whole batch.
    """
    lang = lang if lang in REASONS else "en"
    points = explanation.points[row]
    order = np.argsort(-np.abs(points), kind="stable") if order is None else order
    out: dict[str, list[dict]] = {"positive": [], "negative": []}
    for i in order:
        rounded = round(float(points[i]), 1)
        if abs(rounded) < 0.1:
            continue
        side = "positive" if rounded > 0 else "negative"
        if len(out[side]) >= top:
            continue
        value, feature = explanation.values[row][i], explanation.display_names[i]
        label = glossary.field(feature, lang)
        words = explanation.engagement.sentence(feature, value, rounded > 0, lang, glossary) \
            if explanation.engagement is not None else None
        if words is not None:  # "3 pricing page visits in the last 7 days raise the score by 6 points"
            text = f"{words[0]}{abs(rounded):g}{words[1]}"
        else:
            text = REASONS[lang]["up" if rounded > 0 else "down"].format(
                feature=label, value=format_value(value, lang, set(missing_values), glossary),
                points=f"{abs(rounded):g}")
        out[side].append({"feature": feature, "label": label, "value": jsonable(value),
                          "impact": rounded, "text": text})
    return out


def impact_order(explanation: Explanation) -> np.ndarray:
    """For every lead, its features by |impact|, largest first: one sort for the whole batch."""
    return np.argsort(-np.abs(explanation.points), axis=1, kind="stable")


def jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):  # pd.NA: a missing cell of a text column
        return None
    return value


def mean_abs_points(explanation: Explanation) -> pd.DataFrame:
    """Global drivers: mean |impact| in score points and the direction of the correlation with value."""
    frame = pd.DataFrame({"feature": explanation.display_names,
                          "mean_abs_points": np.abs(explanation.points).mean(axis=0),
                          "mean_abs_log_odds": np.abs(explanation.contributions).mean(axis=0)})
    return frame.sort_values("mean_abs_points", ascending=False).reset_index(drop=True)
