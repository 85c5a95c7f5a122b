"""Batch scoring writes its answers to the prediction log (origin 'batch'), like the API does."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pandas as pd

from serving.pii import mask_column
from serving.predlog import write_predictions
from training import LoadedModel, RuleTable, load_rules

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


def log_batch(url: str, model: LoadedModel, leads: pd.DataFrame, scored: pd.DataFrame,
              request_id: str | None = None) -> int:
    """Write one row per scored lead; only the model's input fields are kept from the leads. Rows are keyed
    "<request_id>:<row>": logging the same request again (a retried Dask partition) adds nothing."""
    encoder = model.pipeline.named_steps["encode"]
    columns = [c for c in leads.columns if c in encoder.column_index_]
    logged, masked = leads[columns].copy(), 0
    for column in columns:  # text fields: emails and phone numbers are masked (serving/pii.py)
        if not encoder.is_numeric_[encoder.column_index_[column]]:
            logged[column], count = mask_column(logged[column])
            masked += count
    inputs = logged.to_json(orient="records", lines=True, date_format="iso").splitlines()
    rules = rule_table(model)
    rule_scores = rules.points_frame(leads) if rules else [None] * len(leads)
    request_id = request_id or uuid.uuid4().hex
    meta = model.metadata
    rows = [{"request_id": request_id, "row_key": f"{request_id}:{i}", "origin": "batch", "lead_id": lead_id,
             "model_name": model_name(model.uri), "model_version": model.version, "dataset": meta.dataset,
             "source": "model", "probability": float(p), "score": int(s), "band": str(b),
             "rule_score": None if r is None else float(r), "inputs": text}
            for i, (lead_id, p, s, b, r, text) in enumerate(zip(
                scored["lead_id"], scored["probability"], scored["score"], scored["band"], rule_scores, inputs,
                strict=True))]
    written = write_predictions(url, rows)
    log.info("logged %d scored leads (origin batch, request %s; %d emails or phone numbers masked)", written,
             request_id, masked)
    return written
