"""Which fields a rep can ask a lead about, with their answers and how often each answer occurs: resolved
at training time and stored in the model's metadata (`askable`), read by training/explain/questions.py.

Declared in the spec (`askable:` field -> answers and "unknown" values). Without it, the rule table's
fields with a points list are askable, their listed values the answers and the rule's `unknown` values
(besides a missing value) what makes them unknown. Answers are matched to the training column's own
values ignoring case and kept as the export spells them. Personal data is never askable; a field that is
not a model feature cannot move the score, so a spec that declares either is refused (a rule table's
field of either kind is skipped).

"How often each answer occurs among similar leads": for each field, the training leads whose answer is
known are scored with that field blanked; their band then is the band a lead like them gets before the
answer is known, and the shares of the answers within each band are what a question weighs its answers by.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.errors import LeadscoreError
from features.names import safe_name
from training.evaluate.metrics import BANDS, assign_bands

SHARE_SAMPLE = 100_000  # training rows scored per askable field for the answer shares
MIN_BAND_ROWS = 30  # fewer known answers in a band: the question weighs by the shares over all bands


def declared_fields(spec, rules) -> tuple[dict[str, dict], bool]:
    """(field -> {"answers", "unknown"}, whether the spec declared them). `rules`: a RuleTable or None."""
    if spec.askable is not None:
        return {f: {"answers": a.answers, "unknown": a.unknown} for f, a in spec.askable.items()}, True
    if rules is None:
        return {}, False
    return {rule.field: {"answers": list(rule.points), "unknown": list(rule.unknown)}
            for rule in rules.rules if rule.points}, False


def _feature_of(field: str, feature_names: dict[str, str]) -> str | None:
    wanted = safe_name(field)
    return next((safe for safe, original in feature_names.items()
                 if field in (safe, original) or safe_name(safe) == wanted), None)


def resolve_askable(spec, rules, frame: pd.DataFrame, feature_names: dict[str, str]) -> dict[str, dict]:
    """Askable features (safe name -> field, answers as the export spells them, unknown values).

    Raises LeadscoreError naming `askable.FIELD` when the spec declares personal data, a field that is not
    a feature, or an answer the training data never holds."""
    declared, from_spec = declared_fields(spec, rules)
    pii = {safe_name(p) for p in spec.features.pii}
    out: dict[str, dict] = {}
    for field, entry in declared.items():
        key = f"askable.{field}" if from_spec else None
        if safe_name(field) in pii:
            if key:
                raise LeadscoreError(f"spec key '{key}': '{field}' is personal data (features.pii) and is never "
                                     "asked about; remove it from askable")
            continue
        feature = _feature_of(field, feature_names)
        if feature is None:
            if key:
                raise LeadscoreError(f"spec key '{key}': '{field}' is not a model feature (excluded, known after "
                                     "contact, or not in the export), so no answer can move the score; remove it")
            continue
        answers = _answers(frame[feature], entry["answers"], key)
        if len(answers) >= 2:
            out[feature] = {"field": feature_names[feature], "answers": answers,
                            "unknown": [str(v) for v in entry["unknown"]]}
    return out


def _answers(column: pd.Series, declared: list, key: str | None) -> list:
    """The declared answers as the column holds them (numbers for a numeric column)."""
    if pd.api.types.is_numeric_dtype(column):
        try:
            return [float(v) for v in declared]
        except ValueError:
            if key:
                raise LeadscoreError(f"spec key '{key}': the column holds numbers, so its answers must be "
                                     "numbers") from None
            return []
    seen = {str(v).casefold(): str(v) for v in column.dropna().unique()}
    answers = []
    for value in declared:
        spelled = seen.get(str(value).strip().casefold())
        if spelled is None:
            if key:
                raise LeadscoreError(f"spec key '{key}': answer {value!r} never occurs in the training data's "
                                     f"'{column.name}' column; check its spelling or remove it")
            continue
        answers.append(spelled)
    return answers


def _folded(values: pd.Series, numeric: bool) -> pd.Series:
    """Values compared as answers are: numbers as numbers, text ignoring case."""
    return values if numeric else values.astype("string").str.casefold()


def answer_shares(pipeline, frame: pd.DataFrame, askable: dict[str, dict], thresholds: dict[str, float],
                  seed: int = 0) -> dict[str, dict]:
    """`askable` with `shares`: per band (and "all"), each answer's share among the training leads of
    that band whose answer is known, the band computed with the field blanked; `known` counts them."""
    out = {}
    for feature, entry in askable.items():
        numeric = pd.api.types.is_numeric_dtype(frame[feature])
        targets = [a if numeric else str(a).casefold() for a in entry["answers"]]
        rows = frame[_folded(frame[feature], numeric).isin(targets).fillna(False).to_numpy(dtype=bool)]
        if len(rows) > SHARE_SAMPLE:
            rows = rows.sample(n=SHARE_SAMPLE, random_state=seed)
        answers = _folded(rows[feature], numeric).to_numpy()
        blanked = rows.copy()
        blanked[feature] = np.nan if numeric else None
        bands = assign_bands(pipeline.predict_proba(blanked)[:, 1], thresholds) if len(rows) else np.array([])
        shares: dict[str, Any] = {}
        known: dict[str, int] = {}
        for band in ("all", *BANDS):
            chosen = answers if band == "all" else answers[bands == band]
            known[band] = int(len(chosen))
            if len(chosen):
                shares[band] = {str(a): float(np.mean(chosen == t)) for a, t in zip(entry["answers"], targets,
                                                                                     strict=True)}
        out[feature] = {**entry, "shares": shares, "known": known}
    return out


def askable_metadata(result, training_set=None) -> dict[str, dict]:
    """What a model stores under `askable` (training/registry/contract.py). Without a result (before
    training) only resolves the fields: a spec's mistake is reported before minutes of fitting."""
    from training.rules.table import load_rules

    ts = training_set or result.training_set
    rules = load_rules(ts.spec.rules) if ts.spec.rules else None
    askable = resolve_askable(ts.spec, rules, ts.frame, ts.feature_names)
    if not askable or result is None:
        return askable
    return answer_shares(result.pipeline, ts.frame[ts.features], askable, result.metrics["bands"],
                         ts.spec.evaluation.seed)
