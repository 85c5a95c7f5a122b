"""Plain-word names of the engagement features, in English and Chinese, added to a model's glossary: a
reason's `label`, the drivers chart and the explainer's form name them so ("pricing page visits in the last
7 days", "近 7 天访问定价页次数"); the reason's sentence itself comes from training/explain/engagement.py
("3 pricing page visits in the last 7 days raise the score by 6 points"). A name the spec's glossary gives
itself wins."""

from __future__ import annotations

from features.glossary import LANGUAGES, Glossary
from training.report.texts import ENGAGEMENT_NAMES


def engagement_name(column, glossary: Glossary, lang: str) -> str:
    """One engagement feature's name (column: features/activities.py EngagementColumn)."""
    texts = ENGAGEMENT_NAMES[lang]
    if column.type is None:
        return texts[column.kind]
    kind = texts["other"] if column.type == "other" else glossary.value(column.type, lang)
    if lang == "en" and column.kind == "count" and kind.endswith("s"):
        return texts["count"].replace("{type}s", "{type}").format(type=kind, window=column.window)
    return texts[column.kind].format(type=kind, window=column.window)


def with_engagement_names(glossary: Glossary, pipeline) -> Glossary:
    """The glossary with a name in each language for every engagement feature of the model's LeadContext."""
    context = dict(pipeline.steps).get("context")
    if context is None or not context.columns_:
        return glossary
    data = glossary.model_dump()
    for lang in LANGUAGES:
        fields = data[lang]["fields"]
        for name, column in context.engagement_columns_.items():
            if glossary.field(name, lang) == name:  # not named by the spec's glossary
                fields[name] = engagement_name(column, glossary, lang)
    return Glossary.model_validate(data)
