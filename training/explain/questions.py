"""Questions worth asking: for each askable field a lead does not have yet (missing, or a declared
"unknown" value), the lead scored again with each possible answer, by the served model itself.

A field is worth asking about when some answer moves the lead into another band, or moves its
probability by more than `min_change`. Questions are ranked by the expected change of the score: each
answer's |change| weighed by how often that answer occurs among training leads of the lead's band
(training/explain/askable.py). Only the one field changes in a filled-in lead: every other field
(activity, dates, the as-of time) is sent as it was, and the filled-in leads go through the model's own
encoder and the same explanation path as any scored lead (`explain_matrix`), in one call per request
(the service's: the same call as the leads themselves while the rows stay on a one-lead request's path),
so each answer's score is exactly what /predict answers for that filled-in lead. The filled-in rows are
the lead's own encoded row with the one column set to the encoded answer (`record_variants`).

Two entry points, like the encoder's: `questions_for_records` (the service's lead dicts) and
`questions_for_frame` (a batch DataFrame). Both return, per lead, its questions, best first.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
@dataclass
class Variants:
    """The filled-in leads of a request, encoded: `matrix` row k is lead `keys[k][0]` with field
    `keys[k][1]` answered `keys[k][2]`. `probability`, once known, their served probabilities: the service
    fills it in the same model call as the leads themselves (serving/scorer.py)."""

    matrix: np.ndarray
    keys: list[tuple]
    probability: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)


def record_variants(model, leads: Sequence[Mapping], matrix: np.ndarray, rows: Sequence[int]) -> Variants:
    """The filled-in leads of `leads[rows]`, from the leads' own encoded rows (`matrix`, one per lead, from
    the model's encoder): each is its lead's row with the one field's column set to the encoded answer.
    The encoder reads each column from its own field alone, so that row is what `transform_records` gives
    for the filled-in lead, without encoding every other field again."""
    encoder = model.pipeline.named_steps["encode"]
    index, blanks = encoder.column_index_, _blanks(model)
    picked, columns, values, keys = [], [], [], []
    for feature, entry in model.metadata.askable.items():
        column = index.get(feature)
        if column is None:
            continue
        codes = None
        for row in rows:
            lead = leads[row]
            value = next((v for k, v in lead.items() if index.get(k) == column and v is not None), None)
            if not _is_unknown(value, entry, blanks):
                continue
            if codes is None:  # each answer as the encoder encodes it in a lead
                codes = _static(model, ("codes", feature), lambda e=entry, c=column: encoder.transform_records(
                    [{e["field"]: a} for a in e["answers"]])[:, c])
            for answer, code in zip(entry["answers"], codes, strict=True):
                picked.append(row)
                columns.append(column)
                values.append(code)
                keys.append((row, feature, answer, value))
    filled = np.array(matrix[picked], dtype=np.float64) if picked else np.zeros((0, matrix.shape[1]))
    filled[np.arange(len(picked)), columns] = values
    return Variants(filled, keys)


def questions_for_records(model, leads: Sequence[Mapping], current: Mapping[int, tuple[float, str]],
                          thresholds: Mapping[str, float], lang: str = "en",
                          min_change: float = MIN_CHANGE, variants: Variants | None = None) -> dict[int, list[dict]]:
    """Questions for the leads the model scored: `current` maps a lead's position in `leads` to its
    served (probability, band). `variants`: the leads' filled-in rows (`record_variants`), with their
    probabilities when the caller scored them already. Returns {position: questions, best first}."""
    rows = list(current)
    out: dict[int, list[dict]] = {row: [] for row in rows}
    if not model.metadata.askable or not rows:
        return out
    if variants is None:
        variants = record_variants(model, leads, model.pipeline.named_steps["encode"].transform_records(leads), rows)
    if variants.probability is None:
        variants.probability = _probabilities(model.pipeline, variants.matrix)
    keep = [k for k, key in enumerate(variants.keys) if key[0] in out]  # a lead the rules answered: none
    if not keep:
        return out
    _assemble(model, [variants.keys[k] for k in keep], variants.probability[keep], current, thresholds, lang,
              min_change, out)
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
    scorable = (probability >= 0.0) & (probability <= 1.0)  # NaN fails too
    if not scorable.all():  # a question with an answer the model could not score is not asked
        unscorable = {keys[k][:2] for k in np.flatnonzero(~scorable)}
        kept = [k for k, key in enumerate(keys) if key[:2] not in unscorable]
        keys, probability = [keys[k] for k in kept], probability[kept]
    bands = assign_bands(probability, thresholds).tolist()
    scores = np.rint(probability * 100).astype(int).tolist()  # as Explanation.score gives it
    grouped: dict[tuple, list[tuple]] = {}
    for (row, feature, answer, value), p, score, band in zip(keys, probability.tolist(), scores, bands, strict=True):
        grouped.setdefault((row, feature), []).append((answer, p, score, str(band), value))
    lang = "zh" if lang == "zh" else "en"
    for (row, feature), answers in grouped.items():
        p0, band0 = current[row]
        crosses = any(a[3] != band0 for a in answers)
        if not crosses and max(abs(a[1] - p0) for a in answers) <= min_change:
            continue  # no answer moves this lead enough to be worth the question
        question = _question(model, feature, answers, p0, band0, lang)
        question["crosses_band"] = crosses
        out[row].append(question)
    for row in out:
        out[row].sort(key=lambda q: -q["expected_change"])


# pipeline -> (metadata, glossary, what stays the same for every request to that model: each askable
# field's encoded answers and phrasing, the answers' shares per band). A cache, not configuration: an entry
# lives as long as its model object and changes no answer, only how fast the same answer comes. It holds
# for the metadata and glossary it was made from only: a model object with other metadata starts afresh.
_STATIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _static(model, key: tuple, make):
    held = _STATIC.get(model.pipeline)
    if held is None or held[0] is not model.metadata or held[1] is not model.glossary:
        held = _STATIC[model.pipeline] = (model.metadata, model.glossary, {})
    if key not in held[2]:
        held[2][key] = make()
    return held[2][key]


def _phrasing(model, feature: str, lang: str) -> tuple[str, str, dict[str, str]]:
    """A field's label, its question and each answer's label, in `lang`."""
    entry, glossary = model.metadata.askable[feature], model.glossary
    label = glossary.field(entry["field"], lang)
    question = glossary.question(entry["field"], lang) or QUESTIONS[lang]["ask"].format(label=label)
    return label, question, {str(a): glossary.value(a, lang) for a in entry["answers"]}


def _question(model, feature: str, answers: list[tuple], p0: float, band0: str, lang: str) -> dict:
    entry = model.metadata.askable[feature]
    texts, names = QUESTIONS[lang], PAGE[lang]
    weights = _static(model, ("shares", feature, band0), lambda: _weights(entry, band0))
    label, asked, labels = _static(model, ("phrasing", feature, lang), lambda: _phrasing(model, feature, lang))
    offered = [{"value": jsonable(answer), "label": labels[str(answer)], "probability": round(p, 6), "score": score,
                "band": band, "share": round(weights[str(answer)], 4)} for answer, p, score, band, _ in answers]
    expected = sum(weights[str(a[0])] * abs(a[1] - p0) for a in answers) * 100
    text = texts["text"].format(label=label, answers=texts["sep"].join(
        texts["answer"].format(value=a["label"], score=a["score"], band=names.get(a["band"], a["band"]))
        for a in offered))
    return {"field": entry["field"], "label": label, "value": jsonable(answers[0][4]), "question": asked,
            "expected_change": round(expected, 1), "answers": offered, "text": text}


def questions_columns(questions: list[list[dict]], top: int = 3) -> dict[str, list[str]]:
    """Batch output columns: the top questions' sentences (one per line) and the same questions as JSON."""
    return {"questions": ["\n".join(q["text"] for q in qs[:top]) for qs in questions],
            "questions_json": [json.dumps(qs[:top], ensure_ascii=False) for qs in questions]}
