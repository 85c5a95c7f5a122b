"""Questions worth asking: for each askable field a lead does not have yet (missing, or a declared
"unknown" value), the lead scored again with each possible answer, by the served model itself.

A field is worth asking about when some answer moves the lead into another band, or moves its
probability by more than `min_change`. Questions are ranked by the expected change of the score: each
answer's |change| weighed by how often that answer occurs among training leads of the lead's band
(training/explain/askable.py). Only the one field changes in a filled-in lead: every other field
(activity, dates, the as-of time) is sent as it was, and the filled-in leads go through the model's own
encoder and the same explanation path as any scored lead (`explain_matrix`), in one call per request,
so each answer's score is exactly what /predict answers for that filled-in lead.

Two entry points, like the encoder's: `questions_for_records` (the service's lead dicts) and
`questions_for_frame` (a batch DataFrame). Both return, per lead, its questions, best first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from training.evaluate.metrics import assign_bands
from training.explain.askable import MIN_BAND_ROWS
from training.explain.contributions import explain_matrix, jsonable
from training.explain.treeshap import FEW_ROWS
from training.model.classifier import TABLE_BATCH
from training.report.texts import PAGE, QUESTIONS

MIN_CHANGE = 0.05  # a probability change beyond this makes a question worth asking, band or not


def _blanks(model) -> set[str]:
    return set(model.metadata.missing_values) | {""}


def _is_unknown(value: object, entry: Mapping, blanks: set[str]) -> bool:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return True
    text = str(value).strip()
    return text in blanks or text.casefold() in {str(u).casefold() for u in entry["unknown"]}


def _probabilities(pipeline, matrix: np.ndarray) -> np.ndarray:
    """The served probability of each encoded row. Mid-sized batches go in slices of FEW_ROWS, so every
    row takes the TreeSHAP tables path a one-lead request takes (checked there against LightGBM)."""
    if FEW_ROWS < len(matrix) < TABLE_BATCH:
        return np.concatenate([explain_matrix(pipeline, matrix[s:s + FEW_ROWS], []).probability
                               for s in range(0, len(matrix), FEW_ROWS)])
    return explain_matrix(pipeline, matrix, []).probability if len(matrix) else np.zeros(0)


# -- the service's lead dicts -----------------------------------------------------------------------
def _record_variants(model, leads: Sequence[Mapping], rows: Sequence[int]) -> tuple[list[dict], list[tuple]]:
    encoder = model.pipeline.named_steps["encode"]
    index, blanks = encoder.column_index_, _blanks(model)
    filled, keys = [], []
    for feature, entry in model.metadata.askable.items():
        column = index.get(feature)
        if column is None:
            continue
        for row in rows:
            lead = leads[row]
            value = next((v for k, v in lead.items() if index.get(k) == column and v is not None), None)
            if not _is_unknown(value, entry, blanks):
                continue
            others = {k: v for k, v in lead.items() if index.get(k) != column}
            for answer in entry["answers"]:
                filled.append({**others, entry["field"]: answer})
                keys.append((row, feature, answer, value))
    return filled, keys


def questions_for_records(model, leads: Sequence[Mapping], current: Mapping[int, tuple[float, str]],
                          thresholds: Mapping[str, float], lang: str = "en",
                          min_change: float = MIN_CHANGE) -> dict[int, list[dict]]:
    """Questions for the leads the model scored: `current` maps a lead's position in `leads` to its
    served (probability, band). Returns {position: questions, best first}."""
    rows = list(current)
    out: dict[int, list[dict]] = {row: [] for row in rows}
    if not model.metadata.askable or not rows:
        return out
    filled, keys = _record_variants(model, leads, rows)
    if not filled:
        return out
    matrix = model.pipeline.named_steps["encode"].transform_records(filled)
    _assemble(model, keys, _probabilities(model.pipeline, matrix), current, thresholds, lang, min_change, out)
    return out


# -- a batch DataFrame ------------------------------------------------------------------------------
def questions_for_frame(model, frame: pd.DataFrame, probability: np.ndarray, bands: Sequence[str],
                        thresholds: Mapping[str, float], lang: str = "en",
                        min_change: float = MIN_CHANGE) -> list[list[dict]]:
    """Questions for every lead of a frame (original or safe column names) whose served probability and
    band are given, best first."""
    out: dict[int, list[dict]] = {row: [] for row in range(len(frame))}
    if not model.metadata.askable or frame.empty:
        return list(out.values())
    encoder = model.pipeline.named_steps["encode"]
    index, blanks = encoder.column_index_, _blanks(model)
    frame = frame.reset_index(drop=True)
    parts, keys = [], []
    for feature, entry in model.metadata.askable.items():
        column = index.get(feature)
        if column is None:
            continue
        names = [c for c in frame.columns if index.get(str(c)) == column]
        values = frame[names[0]].astype(object).to_numpy() if names else np.full(len(frame), None, dtype=object)
        unknown = np.nonzero([_is_unknown(v, entry, blanks) for v in values])[0]
        if not len(unknown):
            continue
        base = frame.iloc[unknown].drop(columns=names)
        for answer in entry["answers"]:
            parts.append(base.assign(**{entry["field"]: answer}))
            keys += [(int(r), feature, answer, jsonable(values[r])) for r in unknown]
    if not parts:
        return list(out.values())
    matrix = encoder.transform(pd.concat(parts, ignore_index=True))
    current = {row: (float(p), str(b)) for row, (p, b) in enumerate(zip(probability, bands, strict=True))}
    _assemble(model, keys, _probabilities(model.pipeline, matrix), current, thresholds, lang, min_change, out)
    return list(out.values())


# -- one lead's questions ---------------------------------------------------------------------------
def _weights(entry: Mapping, band: str) -> dict[str, float]:
    """Each answer's share among training leads of `band` (all bands when that one has too few)."""
    known = entry.get("known", {})
    shares = entry.get("shares", {})
    chosen = shares.get(band) if known.get(band, 0) >= MIN_BAND_ROWS else shares.get("all")
    weights = {str(a): float((chosen or {}).get(str(a), 0.0)) for a in entry["answers"]}
    total = sum(weights.values())
    if total <= 0:  # no answer known in training: each counts the same
        return {a: 1.0 / len(weights) for a in weights}
    return {a: w / total for a, w in weights.items()}


def _assemble(model, keys: list[tuple], probability: np.ndarray, current: Mapping[int, tuple[float, str]],
              thresholds: Mapping[str, float], lang: str, min_change: float, out: dict[int, list[dict]]) -> None:
    bands = assign_bands(probability, thresholds)
    grouped: dict[tuple, list[tuple]] = {}
    for (row, feature, answer, value), p, band in zip(keys, probability, bands, strict=True):
        grouped.setdefault((row, feature), []).append((answer, float(p), str(band), value))
    for (row, feature), answers in grouped.items():
        p0, band0 = current[row]
        crosses = any(band != band0 for _, _, band, _ in answers)
        largest = max(abs(p - p0) for _, p, _, _ in answers)
        if not crosses and largest <= min_change:
            continue  # no answer moves this lead enough to be worth the question
        question = _question(model, feature, answers, p0, band0, lang)
        question["crosses_band"] = crosses
        out[row].append(question)
    for row in out:
        out[row].sort(key=lambda q: -q["expected_change"])


def _question(model, feature: str, answers: list[tuple], p0: float, band0: str, lang: str) -> dict:
    entry, glossary = model.metadata.askable[feature], model.glossary
    lang = "zh" if lang == "zh" else "en"
    texts, names = QUESTIONS[lang], PAGE[lang]
    weights = _weights(entry, band0)
    label = glossary.field(entry["field"], lang)
    offered = []
    for answer, p, band, _ in answers:
        offered.append({"value": jsonable(answer), "label": glossary.value(answer, lang),
                        "probability": round(p, 6), "score": int(np.rint(p * 100)), "band": band,
                        "share": round(weights[str(answer)], 4)})
    expected = sum(weights[str(a)] * abs(p - p0) for a, p, _, _ in answers) * 100
    text = texts["text"].format(label=label, answers=texts["sep"].join(
        texts["answer"].format(value=a["label"], score=a["score"], band=names.get(a["band"], a["band"]))
        for a in offered))
    return {"field": entry["field"], "label": label, "value": jsonable(answers[0][3]),
            "question": glossary.question(entry["field"], lang) or texts["ask"].format(label=label),
            "expected_change": round(expected, 1), "answers": offered, "text": text}


def questions_columns(questions: list[list[dict]], top: int = 3) -> dict[str, list[str]]:
    """Batch output columns: the top questions' sentences (one per line) and the same questions as JSON."""
    return {"questions": ["\n".join(q["text"] for q in qs[:top]) for qs in questions],
            "questions_json": [json.dumps(qs[:top], ensure_ascii=False) for qs in questions]}
