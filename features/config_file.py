"""YAML configuration files (dataset spec, rule table, display glossary) read one way: a strict
pydantic model, and one error that names the file, the key and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from features.errors import LeadscoreError


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


Model = TypeVar("Model", bound=BaseModel)


def describe_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}': remove it or check its spelling")
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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LeadscoreError(f"{path}: not valid YAML: {exc}") from None
    if raw is None and empty is not None:
        raw = empty
    if not isinstance(raw, dict):
        raise LeadscoreError(f"{path}: a {what} is a YAML mapping{shape}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        message = f"{path}: invalid {what}: {describe_validation_error(exc)}"
        raise LeadscoreError(f"{message}; {advice}" if advice else message) from None
