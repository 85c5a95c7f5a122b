"""Batch scoring writes its answers to the prediction log (origin 'batch'), like the API does."""

from __future__ import annotations

import json
import logging
import uuid

import pandas as pd

from training.loop.pii import mask_column
from training.loop.rows import prediction_rows
from training.loop.store import write_predictions
from training.registry.tracking import LoadedModel
from training.rules.table import rules_for_model

log = logging.getLogger(__name__)


def log_batch(url: str, model: LoadedModel, leads: pd.DataFrame, scored: pd.DataFrame,
              request_id: str | None = None) -> int:
    """Write one row per scored lead; only the model's input fields are kept from the leads. Rows are keyed
    "<request_id>:<row>": logging the same request again (a retried Dask partition) adds nothing."""
    encoder = model.pipeline.named_steps["encode"]
    columns = [c for c in leads.columns if c in encoder.column_index_]
    logged, masked = leads[columns].copy(), 0
    for column in columns:  # text fields: emails and phone numbers are masked (training/loop/pii.py)
        if not encoder.is_numeric_[encoder.column_index_[column]]:
            logged[column], count = mask_column(logged[column])
            masked += count
    inputs = logged.to_json(orient="records", lines=True, date_format="iso").splitlines()
    rules = rules_for_model(model.metadata, None)
    rule_scores = rules.points_frame(leads) if rules else [None] * len(leads)
    request_id = request_id or uuid.uuid4().hex
    sources = scored["source"] if "source" in scored else pd.Series("model", index=scored.index)
    asked = scored["questions_json"].map(json.loads) if "questions_json" in scored else [None] * len(scored)
    answers = ({"source": source, "probability": None if pd.isna(p) else float(p),
                "score": None if pd.isna(s) else int(s), "band": None if pd.isna(b) else str(b),
                "rule_score": None if r is None else float(r), "questions": q}
               for p, s, b, source, r, q in zip(scored["probability"], scored["score"], scored["band"], sources,
                                                rule_scores, asked, strict=True))
    rows = prediction_rows(request_id, "batch", model, scored["lead_id"], answers, inputs)
    written = write_predictions(url, rows)
    log.info("logged %d scored leads (origin batch, request %s; %d emails or phone numbers masked)", written,
             request_id, masked)
    return written
