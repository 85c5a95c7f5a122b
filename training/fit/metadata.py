"""The model's metadata made from a training run: what the service and the managers' page need beside the
Pipeline (the fields are typed in training/registry/contract.py; publish stores them in the MLmodel file)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from training.evaluate.drift import summarize_training
from training.evaluate.splits import prediction_of, protocol_name
from training.explain.askable import askable_metadata
from training.registry.contract import ModelMetadata
from training.report.people import people_effects
from training.rules.fit import learned_rules
from training.scoring.answer import actions_for

if TYPE_CHECKING:
    from training.fit.train import TrainResult


def model_metadata(result: TrainResult, page: dict | None = None) -> ModelMetadata:
    """What the service and the managers' page need beside the Pipeline (stored in the MLmodel file)."""
    ts, metrics = result.training_set, result.metrics
    profile = ts.profile()
    people = list(ts.spec.features.people)
    if page is not None and people:  # each person's effect, shown on the page only beyond noise
        page = {**page, "people": people_effects(result, people)}
    return ModelMetadata.model_validate({
        "dataset": ts.spec.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": profile["rows"],
        "positive_rate": profile["positive_rate"],
        "data_window": profile["data_window"],
        "protocol": metrics["protocol"],
        "protocol_zh": protocol_name(ts.frame, ts.spec.evaluation.folds, "zh", prediction_of(ts.spec)),
        "bands": metrics["bands"],
        "metrics": {name: {k: v for k, v in m.items() if isinstance(v, float)}
                    for name, m in metrics["models"].items()},
        "served": metrics["served"],
        "served_kind": metrics["final_model"]["kind"],
        "conversion_by_band": metrics["models"][metrics["served"]]["bands"],
        "conversion_by_source": metrics["models"][metrics["served"]].get("by_source", {}),
        "source_column": metrics["source_column"],
        "features": ts.feature_names,
        "id_field": ts.spec.leads.id,
        "missing_values": list(ts.spec.leads.missing_values),
        "known_after_contact": list(ts.spec.features.known_after_contact),
        "leak_warnings": ts.leak_warnings,  # strong columns let through, for the model card
        "pii": list(ts.spec.features.pii),
        "excluded": list(ts.spec.features.exclude),
        "rules": ts.spec.rules,
        "display": ts.glossary.model_dump(),
        "final_model": metrics["final_model"],
        "training_summary": summarize_training(ts.frame[ts.features], ts.feature_names),  # for drift checks
        # No rule table in the spec: ship points fitted to these outcomes, so the fallback is not empty.
        "fitted_rules": None if ts.spec.rules else learned_rules(
            ts.frame[ts.features], ts.frame["label"].to_numpy(), ts.feature_names,
            ts.spec.evaluation.seed).model_dump(),
        "page": page,
        "skill": metrics.get("skill") or {},
        "record": ts.spec.record,
        "actions": actions_for(ts.spec),
        "askable": askable_metadata(result),
        "created_field": ts.spec.leads.created_at,
        "created_format": ts.spec.leads.date_format,
        "people": people,
    })
