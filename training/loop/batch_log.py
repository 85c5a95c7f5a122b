"""Batch scoring writes its answers to the prediction log (origin 'batch'), like the API does."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pandas as pd

from training import LoadedModel, RuleTable, load_rules
from training.loop.store import write_predictions

log = logging.getLogger(__name__)


def model_name(uri: str) -> str | None:
    """NAME of models:/NAME@alias or models:/NAME/N; None for runs:/ and folders (no registry name)."""
    if not uri.startswith("models:/"):
        return None
    return uri[len("models:/"):].split("@")[0].split("/")[0] or None


def rule_table(model: LoadedModel) -> RuleTable | None:
    """The points table beside the model: the one it learned, else its spec's (when the file is here)."""
    meta = model.metadata
    if meta.fitted_rules:
        return RuleTable.model_validate(meta.fitted_rules)
    path = meta.rules
    return load_rules(path) if path and Path(path).is_file() else None


def _offered(scored: pd.DataFrame) -> list:
    """Each lead's offered questions (`leadscore score --questions`), else none."""
    if "questions_json" not in scored:
        return [None] * len(scored)
    return [[{k: q[k] for k in ("field", "expected_change", "crosses_band")} for q in json.loads(text)]
            for text in scored["questions_json"]]


def log_batch(url: str, model: LoadedModel, leads: pd.DataFrame, scored: pd.DataFrame,
              request_id: str | None = None) -> int:
    """Write one row per scored lead; only the model's input fields are kept from the leads. Rows are keyed
    "<request_id>:<row>": logging the same request again (a retried Dask partition) adds nothing."""
    encoder = model.pipeline.named_steps["encode"]
    columns = [c for c in leads.columns if c in encoder.column_index_]
    inputs = leads[columns].to_json(orient="records", lines=True, date_format="iso").splitlines()
    rules = rule_table(model)
    rule_scores = rules.points_frame(leads) if rules else [None] * len(leads)
    request_id = request_id or uuid.uuid4().hex
    meta = model.metadata
    rows = [{"request_id": request_id, "row_key": f"{request_id}:{i}", "origin": "batch", "lead_id": lead_id,
             "model_name": model_name(model.uri), "model_version": model.version, "dataset": meta.dataset,
             "source": "model", "probability": float(p), "score": int(s), "band": str(b),
             "rule_score": None if r is None else float(r), "inputs": text, "questions": q}
            for i, (lead_id, p, s, b, r, text, q) in enumerate(zip(
                scored["lead_id"], scored["probability"], scored["score"], scored["band"], rule_scores, inputs,
                _offered(scored), strict=True))]
    written = write_predictions(url, rows)
    log.info("logged %d scored leads (origin batch, request %s)", written, request_id)
    return written
