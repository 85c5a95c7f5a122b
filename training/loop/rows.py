"""The one builder of prediction-log rows (table `predictions`, training/loop/store.py), for the service and
batch scoring alike: the same key, the same model name for the same URI, the same clipping to the columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from training.registry.uri import parse_model_uri

TEXT_LIMIT = 128  # lead_id and model_name columns are String(128): a longer value would fail on PostgreSQL


def _clip(value):
    return value[:TEXT_LIMIT] if isinstance(value, str) else value


def prediction_rows(request_id: str, origin: str, model, lead_ids: Iterable, answers: Iterable[Mapping],
                    inputs: Iterable[str], logged_at: datetime | None = None) -> list[dict]:
    """One row per answered lead, keyed "<request_id>:<index>" so that writing a request twice adds nothing.

    `model` is the LoadedModel that was in service (None when none was): its registered name, version and
    dataset are kept even for leads the rules answered, and `source` says who answered. `answers` carry
    source, probability, score, band and rule_score, and the questions offered if any; `inputs` are the leads'
    loggable fields as JSON text.
    """
    name = parse_model_uri(model.uri).name if model is not None else None
    version = model.version if model is not None else None
    dataset = model.metadata.dataset if model is not None else None
    now = logged_at or datetime.now(UTC)
    return [{"row_key": f"{request_id}:{i}", "logged_at": now, "request_id": request_id, "origin": origin,
             "lead_id": _clip(lead_id), "model_name": _clip(name), "model_version": version, "dataset": dataset,
             "source": answer["source"], "probability": answer["probability"], "score": answer["score"],
             "band": answer["band"], "rule_score": answer["rule_score"], "inputs": text,
             "questions": offered(answer.get("questions"))}
            for i, (lead_id, answer, text) in enumerate(zip(lead_ids, answers, inputs, strict=True))]


def offered(questions: Iterable[Mapping] | None) -> list[dict]:
    """What the log keeps of the questions an answer offered (table offered_questions): field and figures."""
    return [{k: q[k] for k in ("field", "expected_change", "crosses_band")} for q in questions or ()]
