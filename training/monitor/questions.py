"""Did asking pay? The questions worth asking that answers offered (table `offered_questions`), set beside
whether the field was filled in at a later scoring of the same lead (a later import from the CRM), and
how the leads converted either way.

A question counts as answered when a logged answer for the same lead, later than the first time the
question was offered, holds a known value of that field (not missing, not a declared unknown value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.names import safe_name
from training.registry.contract import ModelMetadata


def read_offered(db_url: str) -> pd.DataFrame:
    """Questions offered by API and batch answers (the page's what-ifs are left out); empty when none."""
    from training.loop.store import offered_questions as q
    from training.loop.store import open_engine

    columns = ["lead_id", "field", "logged_at"]
    engine = open_engine(db_url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("offered_questions"):
                return pd.DataFrame(columns=columns)
            rows = connection.execute(sa.select(q.c.lead_id, q.c.field, q.c.logged_at)
                                      .where(q.c.origin.in_(["api", "batch"]))).all()
    finally:
        engine.dispose()
    frame = pd.DataFrame(rows, columns=columns)
    frame["logged_at"] = pd.to_datetime(frame["logged_at"], utc=True, format="ISO8601")
    return frame


def _known(values: pd.Series, unknown: list[str], missing_values: list[str]) -> np.ndarray:
    text = values.astype("string").str.strip()
    blank = {str(v).casefold() for v in [*unknown, *missing_values, ""]}
    return (text.notna() & ~text.str.casefold().isin(blank)).fillna(False).to_numpy(dtype=bool)


def questions_answered(log: pd.DataFrame, inputs: pd.DataFrame, offered: pd.DataFrame, won: pd.Series,
                       meta: ModelMetadata) -> dict:
    """Per asked field: leads offered the question, how many answered it later, and the conversion of the
    matured leads that answered against those that did not. `inputs` are the log's parsed inputs (same
    index as `log`); `won` maps a lead id to 1.0 / 0.0 (matured leads only)."""
    offered = offered[offered["lead_id"].isin(set(log["lead_id"]))]
    if offered.empty:
        return {"offered": 0, "fields": []}
    first = offered.sort_values("logged_at").drop_duplicates(["lead_id", "field"])
    by_field = {entry["field"]: entry for entry in meta.askable.values()}
    fields = []
    for field, asked in first.groupby("field", sort=True):
        entry = by_field.get(field)
        column = next((c for c in inputs.columns if safe_name(c) == safe_name(field)), None)
        answered_leads: set = set()
        if column is not None:
            known = log.loc[_known(inputs[column], entry["unknown"] if entry else [], meta.missing_values),
                            ["lead_id", "logged_at"]]
            later = asked.merge(known, on="lead_id", suffixes=("", "_later"))
            answered_leads = set(later.loc[later["logged_at_later"] > later["logged_at"], "lead_id"])
        answered = asked["lead_id"].isin(answered_leads)
        outcome = asked["lead_id"].map(won)
        row = {"field": field, "offered": int(len(asked)), "answered": int(answered.sum())}
        for name, mask in (("answered", answered), ("unanswered", ~answered)):
            matured = outcome[mask].dropna()
            row[f"matured_{name}"] = int(len(matured))
            row[f"conversion_{name}"] = float(matured.mean()) if len(matured) else None
        fields.append(row)
    return {"offered": int(len(first)), "fields": fields}
