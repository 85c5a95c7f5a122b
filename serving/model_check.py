"""What a model must pass before the service swaps it in: metadata valid against its schema and in
agreement with its Pipeline (training/registry/model_contract.py), and a canary lead from its own training sample
(the input example saved with it) scored through the request path (serving/scorer.py).

The registry is asked for the version behind an alias once, and that exact version is downloaded, so
the version reported is the version served even when the alias moves meanwhile."""

from __future__ import annotations

import json
import math
from pathlib import Path

from features import LeadscoreError
from training import LoadedModel, download_model, load_folder, resolve_version
from training.registry.model_contract import ModelRefused, check_contract
from training.registry.uri import parse_model_uri


def fetch_model(uri: str) -> tuple[LoadedModel, dict]:
    """The model behind `uri`, its metadata validated (training/registry/contract.py) and compared with its
    Pipeline, and its canary lead. Raises LeadscoreError when the model cannot be found, ModelRefused when
    it was found and cannot be served."""
    try:
        version = resolve_version(uri)
        local = download_model(parse_model_uri(uri).pinned(version))
    except Exception as exc:  # registry unreachable, unknown name/alias, missing run
        raise LeadscoreError(f"cannot find model {uri!r}: {str(exc).splitlines()[0][:200]}") from None
    try:
        model = load_folder(local, uri, version)
        lead = canary_lead(local)
    except LeadscoreError as exc:  # found, and unusable as it is: refused until the version changes
        raise ModelRefused(str(exc), version) from None
    check_contract(model, local)
    return model, lead


def canary_lead(folder: Path) -> dict:
    """The first lead of the input example MLflow keeps with the model (a row of its training data)."""
    path = folder / "input_example.json"
    if not path.is_file():
        raise LeadscoreError(f"{folder}: no input_example.json to test the model with; retrain with `leadscore train`")
    data = json.loads(path.read_text(encoding="utf-8"))
    data = data.get("dataframe_split", data) if isinstance(data, dict) else data
    if isinstance(data, dict) and data.get("columns") and data.get("data"):
        return _as_sent(dict(zip(data["columns"], data["data"][0], strict=True)))
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return _as_sent(data[0])
    raise LeadscoreError(f"{path}: no lead in the model's input example")


def _as_sent(lead: dict) -> dict:
    """The lead as a client sends it in JSON: a missing number is null (JSON has no NaN)."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in lead.items()}
