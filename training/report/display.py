"""How the page names fields and values for people: the glossary in one language, the one word for a
missing value, natural order of values, and ids that look like hashes shortened and marked as ids.

A column whose values are mostly long hash-like codes (`7927b2df-8bba-4d29-b9a2-b6e0beafe620`,
`a3f9c0e1b2d4`) is an identifier, not something a manager can read: its values show as their first
six characters and an ellipsis, and the field's name says it is an id.
"""

from __future__ import annotations

import re

from features.glossary import Glossary
from training.report.cards import NOT_GIVEN
from training.report.texts import PAGE

HASH_LIKE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{12,}$")
MISSING_KEYS = {NOT_GIVEN, "(missing)", ""}  # how the training-time summaries mark a missing value
ID_SHARE = 0.8


def looks_like_ids(values: list) -> bool:
    """Whether most of a column's values are hash-like codes (at least three values seen)."""
    texts = [str(v) for v in values if v is not None and str(v) not in MISSING_KEYS]
    return len(texts) >= 3 and sum(bool(HASH_LIKE.match(t)) for t in texts) >= ID_SHARE * len(texts)


class Names:
    """The glossary in one language: field and value names as the reader should see them."""

    def __init__(self, glossary: Glossary, lang: str, values_by_field: dict[str, list] | None = None):
        self.glossary, self.lang, self.t = glossary, lang, PAGE[lang]
        self.ids = {field for field, values in (values_by_field or {}).items() if looks_like_ids(values)}

    def field(self, name: str) -> str:
        label = self.glossary.field(name, self.lang)
        return self.t["id"].format(field=label) if name in self.ids else label

    def value(self, value: object, field: str | None = None) -> str:
        if value is None or str(value) in MISSING_KEYS:
            return self.missing
        if field in self.ids and HASH_LIKE.match(str(value)):
            return f"{str(value)[:6]}…"
        return self.glossary.value(value, self.lang)

    @property
    def missing(self) -> str:
        return self.glossary.missing(self.lang)

    def ordered(self, field: str, values: list) -> list | None:
        """Values in their natural order (missing last), or None when they have none."""
        known = [v for v in values if str(v) not in MISSING_KEYS]
        order = self.glossary.ordered(field, known)
        return None if order is None else order + [v for v in values if str(v) in MISSING_KEYS]


def values_by_field(page: dict) -> dict[str, list]:
    """The values the page shows per field (form options, dependence views), to spot id columns."""
    out = {f["name"]: list(f.get("options", [])) for f in page.get("form", []) if f.get("kind") == "categorical"}
    for name, view in page.get("dependence", {}).items():
        if view.get("kind") == "categorical":
            out.setdefault(name, []).extend(view["x"])
    return out
