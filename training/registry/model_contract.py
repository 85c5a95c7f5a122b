"""A model's metadata against its own Pipeline: the check the service runs on every load (start, reload,
a new champion) and `train --register` runs before registering.

The Pipeline's encoder is the truth about the inputs: its column names in order, the CRM's name of each
and whether it reads numbers. The model's record of them is compared with it: the leadscore metadata
(`features`: column -> CRM name; `training_summary`: numeric or categorical per CRM name) and MLflow's
input signature, which keeps the columns in order with their types (the MLmodel file stores the metadata's
mappings with sorted keys, so their order says nothing). A model whose record differs would show the
wrong fields in /model, reasons and the OpenAPI document, and read a client's fields into the wrong
columns: it is refused with a message naming the differing columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from features import LeadscoreError

NUMERIC_TYPES = {"double", "float", "long", "integer"}  # MLflow's signature types the encoder reads as numbers
SHOWN = 5  # columns named per kind of difference; the rest are counted


class ModelRefused(LeadscoreError):
    """The model was found and read, and fails a check: refused, not retried until it changes."""

    def __init__(self, message: str, version: str | None = None):
        super().__init__(message)
        self.version = version


def signature_inputs(folder: Path) -> list[dict] | None:
    """MLflow's input signature of the model saved in `folder`: [{"name", "type"}, ...] in column order."""
    path = folder / "MLmodel"
    if not path.is_file():
        return None
    inputs = (yaml.safe_load(path.read_text(encoding="utf-8")).get("signature") or {}).get("inputs")
    return json.loads(inputs) if isinstance(inputs, str) else inputs


def _names(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:SHOWN])
    return shown + (f" and {len(columns) - SHOWN} more" if len(columns) > SHOWN else "")


def contract_problems(metadata, pipeline, signature: list[dict] | None) -> list[str]:
    """Each difference between the model's record of its inputs and its Pipeline's encoder, as a sentence
    naming the columns; empty when they agree."""
    encoder = pipeline.named_steps["encode"]
    columns = [str(c) for c in encoder.feature_names_in_]
    crm = dict(zip(columns, encoder.display_names_, strict=True))
    kinds = {c: "numeric" if numeric else "categorical" for c, numeric in zip(columns, encoder.is_numeric_,
                                                                              strict=True)}
    problems = []
    recorded = [str(c) for c in metadata.features]
    unknown = [c for c in recorded if c not in crm]
    missing = [c for c in columns if c not in metadata.features]
    if unknown:
        problems.append(f"metadata features not among the pipeline's inputs: {_names(unknown)}")
    if missing:
        problems.append(f"pipeline inputs missing from the metadata features: {_names(missing)}")
    renamed = [c for c in columns if c in metadata.features and metadata.features[c] != crm[c]]
    if renamed:
        problems.append(f"CRM names differing from the pipeline's for: {_names(renamed)}")
    summary = metadata.training_summary or {}
    if summary:  # models from before the summary was kept have none to compare
        typed = [c for c in columns if (summary.get(crm[c]) or {}).get("kind") != kinds[c]]
        if typed:
            problems.append(f"types (numeric or categorical) differing in the metadata for: {_names(typed)}")
    if signature is None:
        problems.append("no input signature to check the columns' order and types against")
        return problems
    names = [str(item.get("name")) for item in signature]
    if names != columns:
        if set(names) == set(columns):
            moved = [c for c, s in zip(columns, names, strict=True) if c != s]
            problems.append(f"signature columns in another order than the pipeline's, from: {_names(moved)}")
        else:
            other = [n for n in names if n not in crm] + [c for c in columns if c not in set(names)]
            problems.append(f"signature columns differing from the pipeline's inputs: {_names(other)}")
    typed = [str(item.get("name")) for item in signature if str(item.get("name")) in kinds and (
        "numeric" if item.get("type") in NUMERIC_TYPES else "categorical") != kinds[str(item.get("name"))]]
    if typed:
        problems.append(f"signature types differing from the pipeline's for: {_names(typed)}")
    return problems


def check_contract(model, folder: Path) -> None:
    """Raise ModelRefused naming every difference between the model's metadata and its Pipeline."""
    problems = contract_problems(model.metadata, model.pipeline, signature_inputs(folder))
    if problems:
        where = f"model {model.uri}" + (f" version {model.version}" if model.version else "")
        raise ModelRefused(f"{where} refused: its metadata does not match its pipeline ({'; '.join(problems)}); "
                           "retrain and register it with `leadscore train --register`", model.version)


def check_logged_model(uri: str) -> None:
    """`train --register`: the logged model, read back as the service will read it, passes the same check."""
    from training import download_model, load_folder

    folder = download_model(uri)
    check_contract(load_folder(folder, uri), folder)
