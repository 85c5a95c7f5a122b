"""`leadscore score`: batch scoring of a CSV, Parquet or SQL source with a logged model.

The model's own Pipeline prepares the leads (names, placeholders, categories): nothing here
re-implements a transform. Output: lead id, probability, score 0-100, band and the top reasons.
Written atomically: a failed run leaves no partial file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import LeadscoreError
from features.load import load_table
from features.spec import SqlSource
from training.explain import explain_frame, impact_order, reasons_for
from training.metrics import assign_bands
from training.tracking import LoadedModel

CHUNK_ROWS = 50_000


def score_frame(model: LoadedModel, leads: pd.DataFrame, lang: str = "en", top: int = 3) -> pd.DataFrame:
    """Scores and reasons for every lead of a frame (original or safe column names)."""
    meta = model.metadata
    id_field = meta.get("id_field")
    ids = leads[id_field].astype("string") if id_field in leads else pd.Series(
        np.arange(1, len(leads) + 1)).astype("string")
    parts = []
    for start in range(0, len(leads), CHUNK_ROWS):
        chunk = leads.iloc[start:start + CHUNK_ROWS]
        explanation = explain_frame(model.pipeline, chunk)
        order = impact_order(explanation)
        reasons = [reasons_for(explanation, i, top=top, lang=lang, missing_values=meta.get("missing_values", []),
                               order=order[i], glossary=model.glossary) for i in range(len(chunk))]
        parts.append(pd.DataFrame({
            "lead_id": ids.iloc[start:start + CHUNK_ROWS].to_numpy(),
            "probability": np.round(explanation.probability, 6),
            "score": explanation.score,
            "band": assign_bands(explanation.probability, meta["bands"]),
            "top_positive": ["; ".join(r["text"] for r in item["positive"]) for item in reasons],
            "top_negative": ["; ".join(r["text"] for r in item["negative"]) for item in reasons],
            "reasons": [json.dumps(item, ensure_ascii=False, default=str) for item in reasons],
        }))
    return pd.concat(parts, ignore_index=True)


def write_atomically(frame: pd.DataFrame, out: Path) -> Path:
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise LeadscoreError(f"{out}: unsupported output type '{suffix}'; use .csv or .parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if suffix == ".csv":
            frame.to_csv(temp, index=False)
        else:
            frame.to_parquet(temp, index=False)
        os.replace(temp, out)
    finally:
        Path(temp).unlink(missing_ok=True)
    return out


def score_source(model: LoadedModel, out: Path, path: str | None = None, sql: SqlSource | None = None,
                 lang: str = "en", on_scored=None) -> pd.DataFrame:
    """Read leads from a file or SQL, score them, write the result; returns the scored frame.
    `on_scored(leads, scored)` runs before the file is written (the prediction log: a failed log
    leaves no output file that claims to be logged)."""
    leads = load_table(path, sql, "leads")
    scored = score_frame(model, leads, lang=lang)
    if on_scored is not None:
        on_scored(leads, scored)
    write_atomically(scored, out)
    return scored
