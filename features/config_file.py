"""YAML configuration files (dataset spec, rule table, display glossary) read one way: a strict
pydantic model, and one error that names the file, the key and what to do."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from features.errors import LeadscoreError
from features.messages import did_you_mean

_BOOL = "tag:yaml.org,2002:bool"


class TextLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. `positive: [yes]` must stay the text 'yes' the export holds,
    not become True (YAML 1.1 also reads yes/no/on/off/y/n as booleans)."""


TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
TextLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_yaml(text: str) -> object:
    return yaml.load(text, Loader=TextLoader)  # noqa: S506 - a SafeLoader subclass


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a model allows at `loc` (the parent of an unknown key), for a nearest-match hint."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        annotation = field.annotation
        args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or typing.get_origin(
            annotation) is typing.Union else (annotation,)
        nested = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


Model = TypeVar("Model", bound=BaseModel)


def describe_validation_error(error: ValidationError, model: type[BaseModel] | None = None) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            allowed = _keys_at(model, item["loc"][:-1]) if model else []
            hint = did_you_mean(str(item["loc"][-1]), allowed)
            known = f"; keys here: {', '.join(allowed)}" if allowed else ""
            lines.append(f"unknown key '{key}'{hint}: remove it or check its spelling{known}")
        elif item["type"] == "missing":
            lines.append(f"missing required key '{key}'")
        else:
            lines.append(f"'{key}': {item['msg']}")
    return "; ".join(lines)


def load_yaml_model(path: str | Path, model: type[Model], what: str, not_found: str, shape: str = "",
                    advice: str = "", empty: dict | None = None) -> Model:
    """Read `path` as YAML and validate it as `model`.

    what: the kind of file, for messages ("rule table"); not_found: what to do when it is missing;
    shape: said when the file is not a mapping; advice: added to validation errors;
    empty: the value of an empty file (None: an empty file is an error).
    """
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: {what} not found; {not_found}")
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LeadscoreError(f"{path}: not valid YAML: {exc}") from None
    if raw is None and empty is not None:
        raw = empty
    if not isinstance(raw, dict):
        raise LeadscoreError(f"{path}: a {what} is a YAML mapping{shape}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        message = f"{path}: invalid {what}: {describe_validation_error(exc, model)}"
        raise LeadscoreError(f"{message}; {advice}" if advice else message) from None
