"""Batch scoring writes its answers to the prediction log (origin 'batch'), like the API does."""

from __future__ import annotations

import logging
import uuid

import pandas as pd

from training import LoadedModel, RuleTable
from training.loop.store import write_predictions
from training.scoring.answer import model_rules

log = logging.getLogger(__name__)


def model_name(uri: str) -> str | None:
    """NAME of models:/NAME@alias or models:/NAME/N; None for runs:/ and folders (no registry name)."""
    if not uri.startswith("models:/"):
        return None
    return uri[len("models:/"):].split("@")[0].split("/")[0] or None


def rule_table(model: LoadedModel) -> RuleTable | None:
    """The points table beside the model: the one it learned, else its spec's (when the file is here)."""
    return model_rules(model.metadata)


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
             "source": source, "probability": None if pd.isna(p) else float(p),
             "score": None if pd.isna(s) else int(s), "band": None if pd.isna(b) else str(b),
             "rule_score": None if r is None else float(r), "inputs": text}
            for i, (lead_id, p, s, b, source, r, text) in enumerate(zip(
                scored["lead_id"], scored["probability"], scored["score"], scored["band"],
                scored.get("source", pd.Series("model", index=scored.index)), rule_scores, inputs, strict=True))]
    written = write_predictions(url, rows)
    log.info("logged %d scored leads (origin batch, request %s)", written, request_id)
    return written
