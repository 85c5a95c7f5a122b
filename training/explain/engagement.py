"""Engagement reasons in plain words: "3 pricing page visits in the last 7 days raise the score by 6 points",
"no activity for 45 days lowers the score by 9 points", "近 7 天访问定价页 3 次，评分提高 6 分".

What an engagement feature counts (features/activities.py EngagementColumn: kind, activity type, window)
and the lead's value pick the sentence; the points are the reason's own. The model's LeadContext says
which features are engagement features, so a spec without activities keeps the generic reasons. Row by
row (`reasons_for`) and column-wise (`build_reasons`) call the same `sentence`, so both give one text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from features.activities import OTHER, EngagementColumn
from features.glossary import Glossary
from training.report.texts import ENGAGEMENT_REASONS

POINTS = "\x00"  # where the points number goes: sentences are split around it, never parsed again


@dataclass(frozen=True)
class EngagementWords:
    """The model's engagement features (original name -> what it counts) and the decay's half-life."""

    columns: Mapping[str, EngagementColumn]
    half_life_days: float

    def sentence(self, feature: str, value: object, up: bool, lang: str, glossary: Glossary
                 ) -> tuple[str, str] | None:
        """The reason's text before and after its points number; None when `feature` is no engagement
        feature or its value cannot be phrased (the generic reason then speaks)."""
        column = self.columns.get(feature)
        if column is None:
            return None
        t = ENGAGEMENT_REASONS["zh" if lang == "zh" else "en"]
        phrased = _phrase(column, _number(value), value, up, t, lang, glossary, self.half_life_days)
        if phrased is None:
            return None
        what, many = phrased
        side = ("up" if up else "down") + ("_many" if many else "")
        before, _, after = t[side].format(what=what, points=POINTS).partition(POINTS)
        return before, after


def engagement_words(pipeline) -> EngagementWords | None:
    """The engagement features of a model's LeadContext; None for a model without activity features."""
    steps = dict(getattr(pipeline, "steps", ()))
    context = steps.get("context")
    if context is None or not getattr(context, "columns_", None):
        return None
    return EngagementWords(context.engagement_columns_, float(context.half_life_days))


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _type_name(column: EngagementColumn, lang: str, glossary: Glossary, t: dict, many: bool) -> str:
    if column.type == OTHER:
        return t["other_many" if many else "other_one"]
    name = glossary.value(column.type, lang)
    return plural(name) if many and lang != "zh" else name


def plural(noun: str) -> str:
    """An English noun phrase's plural ("pricing page visit" -> "pricing page visits")."""
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if len(noun) > 1 and noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _days(age: float, t: dict) -> str:
    whole = int(age)  # people say "3 days" for three and a half
    return t["day"] if whole == 1 else t["days"].format(n=f"{whole:,}")


def _phrase(column: EngagementColumn, number: float | None, value: object, up: bool, t: dict, lang: str,
            glossary: Glossary, half_life: float) -> tuple[str, bool] | None:
    """The sentence's subject for this value, and whether it is plural (English verb agreement)."""
    kind = column.kind
    if kind == "count":
        if number is None:
            return None
        n = int(round(number))
        if n in (0, 1):
            one = _type_name(column, lang, glossary, t, False)
            return t["count_none" if n == 0 else "count_one"].format(type=one, window=column.window), False
        name = _type_name(column, lang, glossary, t, True)
        return t["count_many"].format(n=f"{n:,}", types=name, type=name, window=column.window), True
    if kind in ("since", "since_any"):
        prefix = kind
        words = {"type": _type_name(column, lang, glossary, t, False)} if kind == "since" else {}
        if number is None:  # no such activity before the prediction time
            return t[f"{prefix}_never"].format(**words), False
        if number < 1:
            return t[prefix].format(ago=t["today"], **words), False
        if up:
            return t[prefix].format(ago=t["ago"].format(days=_days(number, t)), **words), False
        return t[f"{prefix}_gap"].format(days=_days(number, t), **words), False
    if kind == "distinct":
        if number is None:
            return None
        n = int(round(number))
        key = "distinct_none" if n == 0 else "distinct_one" if n == 1 else "distinct_many"
        return t[key].format(n=f"{n:,}"), n > 1
    if kind == "decayed":
        if number is None or number <= 0:
            return t["decayed_none"], False
        if number < 0.05:  # would read 0.0 though some engagement is left
            return t["decayed_low"].format(value="0.1", half_life=f"{half_life:g}"), False
        return t["decayed"].format(value=f"{number:,.1f}", half_life=f"{half_life:g}"), False
    if kind in ("first_channel", "last_channel"):
        if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "":
            return t["channel_none"], False
        return t[kind].format(channel=glossary.value(value, lang)), False
    return None
