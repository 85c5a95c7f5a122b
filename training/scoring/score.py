"""`leadscore score`: batch scoring of a CSV, Parquet or SQL source with a logged model.

The model's own Pipeline prepares the leads (names, placeholders, categories): nothing here
re-implements a transform. Output: lead id, probability, score 0-100, band and the top reasons.
Written atomically: a failed run leaves no partial file.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from features.columns import is_numeric_column
from features.context import LeadsAt
from features.load import load_table
from features.messages import rows_counted_from
from features.source_spec import SqlSource
from training.evaluate.metrics import assign_bands
from training.explain.contributions import explain_matrix
from training.explain.reasons import build_reasons, frame_columns
from training.registry.tracking import LoadedModel
from training.rules.table import rules_for_model
from training.scoring.answer import RULE_BANDS, TOO_MANY_MISSING, lead_columns, percentile, too_many_missing
from training.scoring.batch_io import chunk_writer, read_chunks
from training.scoring.output import keep_columns, output_is_table, table_writer

CHUNK_ROWS = 50_000


def numbers_read(model: LoadedModel, leads: pd.DataFrame) -> pd.DataFrame:
    """The leads with each numeric model field that a file holds as text ($1,234, 13:45) read as the numbers
    the model reads, so every chunk or partition carries them as numbers (and `--keep` writes one type)."""
    encoder = model.pipeline.named_steps["encode"]
    texts = {i: c for i, c in encoder.feature_columns(leads.columns).items() if encoder.is_numeric_[i]
             and not (is_numeric_column(leads[c]) or pd.api.types.is_bool_dtype(leads[c]))}
    if not texts:
        return leads
    return leads.assign(**{str(c): encoder.read_numbers(i, leads[c]) for i, c in texts.items()})


def score_frame(model: LoadedModel, leads: pd.DataFrame, lang: str = "en", top: int = 3,
                first_id: int = 1, questions: bool = False, events: pd.DataFrame | None = None,
                as_of: pd.Timestamp | None = None, matches: list | None = None) -> pd.DataFrame:
    """Scores and reasons for every lead of a frame (original or safe column names); with `questions`,
    the top questions worth asking (training/explain/questions.py) as text and JSON.

    Without an id column, leads are numbered from `first_id` (their row number in the whole input).
    A model with lookups or activities (its Pipeline's LeadContext) joins them and counts `events` as of
    `as_of` (default now); `matches` collects how each lookup matched, for the run's comparison.
    """
    meta = model.metadata
    id_field = meta.id_field
    ids = leads[id_field].astype("string") if id_field in leads else pd.Series(
        np.arange(first_id, first_id + len(leads))).astype("string")
    context = dict(model.pipeline.steps).get("context")
    if context is not None:
        if matches is not None and context.lookups:
            matches.extend(context.match(leads)[1])
        leads = context.transform(LeadsAt(leads.reset_index(drop=True), events, as_of, id_field))
    encoder = model.pipeline.named_steps["encode"]
    rules = rules_for_model(meta, None)
    counted = lead_columns(model.pipeline)
    parts = []
    for start in range(0, len(leads), CHUNK_ROWS):
        chunk = leads.iloc[start:start + CHUNK_ROWS]
        matrix = encoder.transform(chunk)
        explanation = explain_matrix(model.pipeline, matrix, [])
        reasons = build_reasons(explanation.points, explanation.display_names, frame_columns(encoder, chunk), top=top,
                                lang=lang, missing_values=meta.missing_values, glossary=model.glossary,
                                engagement=explanation.engagement)
        bands = assign_bands(explanation.probability, meta.bands.thresholds())
        part = pd.DataFrame({
            id_field or "lead_id": ids.iloc[start:start + CHUNK_ROWS].to_numpy(),  # the spec's own id name
            "probability": np.round(explanation.probability, 6),
            "score": explanation.score.astype("float64"),
            "band": bands.astype(object),
            "percentile": [percentile(float(p), meta.bands.quantiles) for p in explanation.probability],
            "source": "model", "fallback_reason": None,
            **{name: reasons[name].to_numpy() for name in ("top_positive", "top_negative", "reasons")},
            **(_questions(model, chunk, explanation.probability, bands, lang) if questions else {}),
        })
        _rules_answer(part, chunk, too_many_missing(matrix, counted=counted), rules)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["score"] = out["score"].astype("Int64")
    out["percentile"] = out["percentile"].astype("Int64")
    for column in ("band", "source", "fallback_reason"):  # typed text: a partition of all-empty values too
        out[column] = out[column].astype("string")
    return out


def _rules_answer(part: pd.DataFrame, chunk: pd.DataFrame, lacking: np.ndarray, rules) -> None:
    """Leads missing too many of the model's features get the rules' answer, as the service gives it
    (training/scoring/answer.py decides for both): the points as the score, no probability."""
    if not lacking.any():
        return
    # the model's reasons and questions do not describe a rules answer
    part.loc[lacking, [c for c in ("probability", "percentile", "top_positive", "top_negative", "reasons",
                                   "questions", "questions_json") if c in part]] = None
    part.loc[lacking, "source"] = "rules"
    part.loc[lacking, "fallback_reason"] = TOO_MANY_MISSING
    if rules is None:  # no points table: no score rather than a silent 0 (cold)
        part.loc[lacking, ["score", "band"]] = None
        return
    points = np.round(rules.points_frame(chunk.iloc[np.flatnonzero(lacking)]))
    part.loc[lacking, "score"] = points
    part.loc[lacking, "band"] = assign_bands(points, RULE_BANDS)


def _questions(model: LoadedModel, chunk: pd.DataFrame, probability, bands, lang: str) -> dict:
    from training.explain.questions import questions_columns, questions_for_frame

    found = questions_for_frame(model, chunk, probability, bands, model.metadata.bands.thresholds(), lang)
    return questions_columns(found)


def numeric_fields(model: LoadedModel) -> set[str]:
    """The columns (safe and original names) the model reads as numbers: a file reader types them so."""
    encoder = model.pipeline.named_steps["encode"]
    return {name for names in zip(encoder.feature_names_in_, encoder.display_names_, encoder.is_numeric_, strict=True)
            if names[2] for name in names[:2]}


def score_source(model: LoadedModel, out: str | Path, path: str | None = None, sql: SqlSource | None = None,
                 lang: str = "en", keep: list[str] | None = None, table: str | None = None,
                 mode: str = "append", on_scored=None, questions: bool = False, events: pd.DataFrame | None = None,
                 as_of: pd.Timestamp | None = None, matches: list | None = None,
                 sheet: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read leads from a file or SQL chunk by chunk, score them, write them to a file or a database table.

    Returns the bands of every scored lead and where they went. A file appears whole or not at all; a
    table gets every chunk in one transaction. `on_scored(leads, scored)` runs for each chunk before it
    is written (the prediction log: a failed log leaves no output that claims to be logged; chunks
    logged before the failure stay logged).
    """
    to_table = output_is_table(out, table, mode)
    chunks = read_chunks(path, numeric_fields(model), sheet=sheet) if path is not None \
        else iter([load_table(None, sql, "leads")])
    bands, first = [], 1
    sink = table_writer(str(out), table, mode) if to_table else chunk_writer(Path(out))
    with sink as writer:
        for chunk in chunks:
            chunk = rows_counted_from(first - 1, functools.partial(numbers_read, model, chunk), path)
            scored = rows_counted_from(first - 1, functools.partial(
                score_frame, model, chunk, lang=lang, first_id=first, questions=questions, events=events,
                as_of=as_of, matches=matches), path)
            written = keep_columns(scored, chunk, keep) if keep else scored  # a bad --keep fails before the log
            if on_scored is not None:  # the prediction log reads the id as lead_id, whatever the spec calls it
                on_scored(chunk, scored.rename(columns={scored.columns[0]: "lead_id"}))
            writer.write(written)
            bands.append(scored["band"])
            first += len(chunk)
    return pd.DataFrame({"band": pd.concat(bands, ignore_index=True)}), writer.where
