"""Reason texts for a whole batch at once: numpy over the contribution matrix, texts filled column-wise.

Works from any score-point matrix (rows x features), whatever model produced it, plus each feature's
values as columns. Python touches only the *distinct* values of a column (formatting, glossary, JSON);
per-row work is numpy indexing and element-wise concatenation of object arrays. The output is exactly
what `training.explain.contributions.reasons_for` gives row by row (a test holds them equal in both languages).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.glossary import EMPTY, Glossary
from training.explain.contributions import format_value, jsonable
from training.explain.engagement import EngagementWords
from training.report.texts import REASONS


def round_points(points: np.ndarray) -> np.ndarray:
    """Python's round(x, 1) for a whole matrix: numpy's rounding differs on exact halves (0.15)."""
    rounded = np.round(points, 1)
    tens = points * 10
    near_half = np.abs(np.abs(tens - np.floor(tens)) - 0.5) < 1e-6
    for index in zip(*np.nonzero(near_half), strict=True):
        rounded[index] = round(float(points[index]), 1)
    return rounded


def pick_sides(points: np.ndarray, rounded: np.ndarray, top: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per side, the feature index of each rank (rows x top) and whether that rank holds a reason.

    Same order as reasons_for: by |points|, largest first, ties by feature position.
    """
    magnitude = -np.abs(points)
    sides = {}
    for side, keep in (("positive", rounded >= 0.1), ("negative", rounded <= -0.1)):
        key = np.where(keep, magnitude, np.inf)
        order = np.argsort(key, axis=1, kind="stable")[:, :top]
        sides[side] = (order, np.take_along_axis(keep, order, axis=1))
    return sides


class _Column:
    """One feature's values, coded once: distinct values formatted for text and for JSON."""

    def __init__(self, values: np.ndarray, lang: str, missing: set[str], glossary: Glossary):
        values = np.asarray(values)
        kinds = {type(v) for v in values} - {type(None), str} if values.dtype == object else set()
        if len(kinds) > 1:  # 1 == 1.0 == True when hashing: factorize would merge them, so code by type too
            keys = np.empty(len(values), dtype=object)
            keys[:] = [(type(v).__name__, v) for v in values]
            codes, _ = pd.factorize(keys)
            firsts = np.unique(codes, return_index=True)[1]
            uniques = values[firsts]
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            uniques = np.asarray(uniques, dtype=object)
        uniques = np.append(uniques, None)  # code -1 (missing) reads the last entry
        self.codes, self.uniques = codes, uniques
        self.text = np.array([format_value(v, lang, missing, glossary) for v in uniques], dtype=object)
        self.text_escaped = np.array([_escape(t) for t in self.text], dtype=object)
        self.json = np.array([json.dumps(jsonable(v), ensure_ascii=False, default=str) for v in uniques],
                             dtype=object)
        self._sentences: dict[bool, tuple[np.ndarray, dict[str, np.ndarray]]] = {}

    def sentences(self, engagement: EngagementWords, feature: str, up: bool, lang: str, glossary: Glossary
                  ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per distinct value: whether it has an engagement sentence, and its text before and after the
        points (plain and escaped for JSON)."""
        if up not in self._sentences:
            phrased = [engagement.sentence(feature, v, up, lang, glossary) for v in self.uniques]
            has = np.array([s is not None for s in phrased], dtype=bool)
            said = [s or ("", "") for s in phrased]
            self._sentences[up] = (has, {
                "before": np.array([s[0] for s in said], dtype=object),
                "after": np.array([s[1] for s in said], dtype=object),
                "before_json": np.array([_escape(s[0]) for s in said], dtype=object),
                "after_json": np.array([_escape(s[1]) for s in said], dtype=object)})
        return self._sentences[up]


def _dumps(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _points_tables(rounded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse codes of the rounded points, with the '{points}' text and the JSON number of each."""
    distinct, inverse = np.unique(rounded, return_inverse=True)
    text = np.array([f"{abs(float(v)):g}" for v in distinct], dtype=object)
    number = np.array([json.dumps(float(v)) for v in distinct], dtype=object)
    return inverse.reshape(rounded.shape), text, number


def build_reasons(points: np.ndarray, features: Sequence[str], columns: Sequence[np.ndarray | None], top: int = 3,
                  lang: str = "en", missing_values: Sequence[str] = (), glossary: Glossary = EMPTY,
                  engagement: EngagementWords | None = None) -> pd.DataFrame:
    """top_positive, top_negative (texts joined by '; ') and reasons (JSON) for every row.

    `columns[j]` holds feature j's value per row as sent (None when the lead did not send it);
    `engagement` (the Explanation's) puts the engagement features' reasons in plain words.
    """
    lang = lang if lang in REASONS else "en"
    n = len(points)
    rounded = round_points(points)
    point_codes, point_text, point_json = _points_tables(rounded)
    labels = [glossary.field(f, lang) for f in features]
    head = np.array(['{"feature": ' + _dumps(f) + ', "label": ' + _dumps(label) + ', "value": '
                     for f, label in zip(features, labels, strict=True)], dtype=object)
    label_array = np.array(labels, dtype=object)
    label_escaped = np.array([_escape(label) for label in labels], dtype=object)
    coded: dict[int, _Column] = {}
    missing = set(missing_values)
    out = {}
    for side, (order, valid) in pick_sides(points, rounded, top).items():
        template = REASONS[lang]["up" if side == "positive" else "down"]
        texts, fragments = [], []
        for k in range(order.shape[1]):
            feature = order[:, k]
            value_text = np.full(n, "", dtype=object)
            value_escaped = np.full(n, "", dtype=object)
            value_json = np.full(n, "null", dtype=object)
            worded = np.zeros(n, dtype=bool)  # rows whose reason is an engagement sentence
            pieces_of = {name: np.full(n, "", dtype=object)
                         for name in ("before", "after", "before_json", "after_json")}
            for j in np.unique(feature[valid[:, k]]):
                rows = np.nonzero(valid[:, k] & (feature == j))[0]
                if j not in coded:
                    column = columns[j] if columns[j] is not None else np.full(n, None, dtype=object)
                    coded[j] = _Column(column, lang, missing, glossary)
                codes = coded[j].codes[rows]
                value_text[rows], value_json[rows] = coded[j].text[codes], coded[j].json[codes]
                value_escaped[rows] = coded[j].text_escaped[codes]
                if engagement is not None and features[j] in engagement.columns:
                    has, pieces = coded[j].sentences(engagement, features[j], side == "positive", lang, glossary)
                    worded[rows] = has[codes]
                    for name, values in pieces.items():
                        pieces_of[name][rows] = values[codes]
            codes = point_codes[np.arange(n), feature]
            text = _fill(template, label_array[feature], value_text, point_text[codes])
            # The JSON literal of the same text, from pieces escaped once each (escaping is per character).
            text_json = '"' + _fill(template, label_escaped[feature], value_escaped, point_text[codes], _escape) + '"'
            if worded.any():  # the same sentence as reasons_for: before + points + after
                text = np.where(worded, pieces_of["before"] + point_text[codes] + pieces_of["after"], text)
                text_json = np.where(worded, '"' + pieces_of["before_json"] + point_text[codes]
                                     + pieces_of["after_json"] + '"', text_json)
            fragment = head[feature] + value_json + ', "impact": ' + point_json[codes] + ', "text": ' + text_json + "}"
            texts.append(np.where(valid[:, k], text, ""))
            fragments.append(np.where(valid[:, k], fragment, ""))
        out[f"top_{side}"] = _join(texts, valid, "; ")
        out[side] = _join(fragments, valid, ", ")
    reasons = '{"positive": [' + out["positive"] + '], "negative": [' + out["negative"] + "]}"
    return pd.DataFrame({"top_positive": out["top_positive"], "top_negative": out["top_negative"],
                         "reasons": reasons})


def _fill(template: str, feature: np.ndarray, value: np.ndarray, points: np.ndarray,
          escape=lambda text: text) -> np.ndarray:
    """str.format of one template, column-wise: the fixed pieces (escaped by `escape`) around each placeholder."""
    pieces = {"feature": feature, "value": value, "points": points}
    result = np.full(len(feature), "", dtype=object)
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        result = result + escape(before) + pieces[name]
    return result + escape(rest)


def _escape(text: str) -> str:
    """The inside of text's JSON string literal."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _join(parts: list[np.ndarray], valid: np.ndarray, separator: str) -> np.ndarray:
    """Join the valid ranks of each row (valid ranks are always a prefix)."""
    joined = parts[0] if parts else np.full(len(valid), "", dtype=object)
    for k in range(1, len(parts)):
        joined = joined + np.where(valid[:, k], separator + parts[k], "")
    return joined


def frame_columns(encoder, frame: pd.DataFrame) -> list[np.ndarray | None]:
    """Each feature's values as sent, one array per feature (None where the frame lacks the feature)."""
    columns: list[np.ndarray | None] = [None] * encoder.n_features_in_
    for i, column in encoder.feature_columns(frame.columns).items():
        values = frame[column]
        columns[i] = values.astype(object).where(values.notna(), None).to_numpy()
    return columns

