"""Display names for people: what a field or a value is called in English and in Chinese.

The CRM's own names (`time_on_site_sec`, `What is your current occupation`, `high`) are what the
model and the API use; managers read reasons and the drivers page in their language. A glossary is
a small YAML file named by the spec's `display` (and by the service's `LEADSCORE_DISPLAY` for the
rule fallback when no model is loaded), copied into the model's metadata at training time:

    zh:
      fields: {budget: 预算, time_on_site_sec: 网站停留时长（秒）}
      values: {high: 高, "yes": 是}
    en:
      fields: {time_on_site_sec: time on site (seconds)}
      missing: not given        # the one word for a missing value, everywhere (default below)
      questions: {budget: What budget have they set aside?}   # how a rep asks about a field
    order:                      # natural order of a field's values on the page (months, weekdays and
      purchase_timeline: [now, this quarter, later]   # values starting with a number need none)

Anything not listed shows as the CRM has it. Field names match by original or safe name; values
match exactly, then ignoring case.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, PrivateAttr

from features.config_file import Strict, load_yaml_model
from features.names import safe_name
from features.natural_order import natural_rank

LANGUAGES = ("en", "zh")
# The word for a missing value unless the glossary names one. The one bilingual word outside
# training/report/texts.py: features sits below training and never imports it.
MISSING = {"en": "not given", "zh": "未填写"}


class LanguageNames(Strict):
    fields: dict[str, str] = Field(default_factory=dict)
    values: dict[str, str] = Field(default_factory=dict)
    missing: str | None = None
    questions: dict[str, str] = Field(default_factory=dict)  # field -> how a rep asks about it


class Glossary(Strict):
    en: LanguageNames = Field(default_factory=LanguageNames)
    zh: LanguageNames = Field(default_factory=LanguageNames)
    order: dict[str, list[str]] = Field(default_factory=dict)
    _fields: dict = PrivateAttr(default_factory=dict)
    _values: dict = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context) -> None:
        # Lookup tables built once: by safe field name, and by case-folded value.
        self._fields = {lang: {safe_name(k): v for k, v in self._names(lang).fields.items()} for lang in LANGUAGES}
        self._values = {lang: {str(k).casefold(): v for k, v in self._names(lang).values.items()}
                        for lang in LANGUAGES}

    def _names(self, lang: str) -> LanguageNames:
        return self.zh if lang == "zh" else self.en  # any other language reads the English names

    def field(self, name: str, lang: str) -> str:
        lang = "zh" if lang == "zh" else "en"
        return self._names(lang).fields.get(name) or self._fields[lang].get(safe_name(name)) or name

    def value(self, value: object, lang: str) -> str:
        lang, text = ("zh" if lang == "zh" else "en"), str(value)
        return self._names(lang).values.get(text) or self._values[lang].get(text.casefold()) or text

    def question(self, name: str, lang: str) -> str | None:
        """How a rep asks about the field in `lang` (by original or safe name); None when not given."""
        questions = self._names("zh" if lang == "zh" else "en").questions
        return questions.get(name) or next((v for k, v in questions.items() if safe_name(k) == safe_name(name)), None)

    def missing(self, lang: str) -> str:
        """The one word for a missing value in `lang`, in every chart, form and reason."""
        lang = "zh" if lang == "zh" else "en"
        return self._names(lang).missing or MISSING[lang]

    def ordered(self, name: str, values: list) -> list | None:
        """`values` in the field's natural order (the glossary's, else months, weekdays or leading
        numbers); None when there is none. Values the glossary's order omits go last."""
        declared = self.order.get(name) or next(
            (v for k, v in self.order.items() if safe_name(k) == safe_name(name)), None)
        if declared:
            rank = {str(v).casefold(): i for i, v in enumerate(declared)}
            return sorted(values, key=lambda v: rank.get(str(v).casefold(), len(rank)))
        rank = natural_rank(values)
        return sorted(values, key=lambda v: rank[str(v)]) if rank else None

    def field_names(self) -> set[str]:
        """Every field the glossary names, in any language (to catch misspelt names)."""
        return ({name for lang in LANGUAGES for name in self._names(lang).fields} | set(self.order)
                | {name for lang in LANGUAGES for name in self._names(lang).questions})


EMPTY = Glossary()


def glossary_from(data: Mapping | None) -> Glossary:
    """The glossary stored in a model's metadata (none: the CRM's own names)."""
    return Glossary.model_validate(data) if data else EMPTY


def load_glossary(path: str | Path | None) -> Glossary:
    if path is None:
        return EMPTY
    return load_yaml_model(path, Glossary, "display glossary", "check 'display' in the spec or LEADSCORE_DISPLAY",
                           advice="expected en/zh -> fields/values -> name: text", empty={})
