"""Scoring for the service: the model with SHAP reasons, the rule score beside it, and the fallback.

The model state (Pipeline plus metadata) is one immutable object swapped in a single assignment, so
a reload never disturbs requests in flight: each request reads the state once and keeps it.
The rules answer instead of the model when no model is loaded, when the model fails for a lead, or
when a lead lacks more than `max_missing_share` of the model's features; each result says which.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from features import Glossary, LeadscoreError, load_glossary
from features.context import check_lists, context_fields, enrich_records
from serving.config import ServiceConfig
from serving.model_check import fetch_model
from training import (
    LoadedModel,
    ModelMetadata,
    RuleTable,
    assign_bands,
    explain_matrix,
    impact_order,
    load_rules,
    reasons_for,
    record_values,
    resolve_version,
)

log = logging.getLogger(__name__)
FAILING_AFTER = 5  # model errors in a row after which /readyz reports the model as failing


@dataclass(frozen=True)
class ModelState:
    model: LoadedModel
    loaded_at: float

    @property
    def version(self) -> str | None:
        return self.model.version


NO_RULES = "no rule table in the model's dataset spec (spec key 'rules'): no rule score"


def has_rule_table(metadata: ModelMetadata) -> bool:
    """Models record their spec's rule table; older models without the key keep the service's table."""
    return "rules" not in metadata.model_fields_set or metadata.rules is not None or bool(metadata.fitted_rules)


@dataclass
class Counters:
    by_source: dict = field(default_factory=lambda: {"model": 0, "rules": 0})
    fallbacks: dict = field(default_factory=dict)
    load_errors: int = 0
    last_load_error: str | None = None
    model_errors_in_row: int = 0


class Scorer:
    def __init__(self, config: ServiceConfig, rules: RuleTable | None = None):
        self.config = config
        self.rules = rules or load_rules(config.rules)
        self.glossary = load_glossary(config.display)  # for rule reasons while no model is loaded
        self.state: ModelState | None = None
        self.counters = Counters()
        self._reload_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------
    def load(self) -> bool:
        """Load (or reload) the configured model; swap it in only once it has scored its canary lead
        through the model path. On failure keep what is served and say why."""
        with self._reload_lock:
            try:
                model, lead = fetch_model(self.config.model_uri)
                self._check_canary(ModelState(model=model, loaded_at=time.time()), lead)
            except Exception as exc:  # unreachable registry, missing alias, bad file or metadata: refused
                self.counters.load_errors += 1
                self.counters.last_load_error = str(exc).splitlines()[0][:300]
                log.warning("model %s not loaded: %s", self.config.model_uri, self.counters.last_load_error)
                return False
            previous = self.state.version if self.state else None
            if model.metadata.fitted_rules:  # its spec named no rule table: the points it learned
                self.rules = RuleTable.model_validate(model.metadata.fitted_rules)
            elif not has_rule_table(model.metadata):
                log.warning("model %s has no rule table in its spec: rule_score is null in every answer",
                            self.config.model_uri)
            self.state = ModelState(model=model, loaded_at=time.time())
            self.counters.model_errors_in_row = 0
            log.info("serving model %s version %s (was %s)", self.config.model_uri, model.version, previous)
            return True

    def champion_changed(self) -> bool:
        """Whether the registry now points the configured alias at another version."""
        try:
            current = resolve_version(self.config.model_uri)
        except Exception:
            return False
        return current is not None and (self.state is None or current != self.state.version)

    def _check_canary(self, state: ModelState, lead: dict) -> None:
        """Score `lead` with the candidate model (no counters touched); raise when it cannot."""
        results = [self._rule_part(lead, "en", state.model.glossary)]
        matrix = state.model.pipeline.named_steps["encode"].transform_records([lead])
        self._explain_into(state, matrix, [lead], [0], results, "en", self.config.top_reasons)
        probability = results[0].get("probability")
        if results[0].get("source") != "model" or probability is None or not 0.0 <= probability <= 1.0:
            raise LeadscoreError(f"model version {state.version} failed its canary lead")
        classifier = state.model.pipeline.named_steps["classify"]
        if hasattr(classifier, "warm_up"):  # models from before LeadClassifier have no tables to build
            classifier.warm_up()

    @property
    def ready(self) -> bool:
        """A model is loaded and has not failed on the last FAILING_AFTER leads in a row."""
        return self.state is not None and self.counters.model_errors_in_row < FAILING_AFTER

    # -- scoring -----------------------------------------------------------------------------------
    def score(self, leads: Sequence[Mapping[str, object]], lang: str = "en", top: int | None = None) -> list[dict]:
        """One result per lead, in order. Raises LeadscoreError (a 4xx) for a value of the wrong kind."""
        state = self.state  # read once: a concurrent reload cannot change the model mid-request
        glossary = state.model.glossary if state else self.glossary
        check_lists(leads)
        if state is not None:  # lookups joined, engagement as of the request's time (features/context.py)
            leads = enrich_records(state.model.pipeline, leads)
        results = [self._rule_part(lead, lang, glossary, state) for lead in leads]
        if state is None:
            results = [self._fallback(r, "model_unavailable", lang) for r in results]
            self._count(results)
            return results
        encoder = state.model.pipeline.named_steps["encode"]
        matrix = encoder.transform_records(leads)  # validates every lead first: bad values name their field
        missing = np.isnan(matrix).mean(axis=1)
        rows = [i for i in range(len(leads)) if missing[i] <= self.config.max_missing_share]
        for i in sorted(set(range(len(leads))) - set(rows)):
            results[i] = self._fallback(results[i], "too_many_missing_features", lang)
        if rows:
            self._model_part(state, matrix, leads, rows, results, lang, top or self.config.top_reasons)
        self._count(results)
        return results

    def _count(self, results: list[dict]) -> None:
        """Traffic only: the canary of a load is never counted."""
        for result in results:
            self.counters.by_source[result["source"]] += 1
            if result["fallback_reason"]:
                self.counters.fallbacks[result["fallback_reason"]] = self.counters.fallbacks.get(
                    result["fallback_reason"], 0) + 1

    def _model_part(self, state, matrix, leads, rows, results, lang, top) -> None:
        try:
            self._explain_into(state, matrix[rows], [leads[i] for i in rows], rows, results, lang, top)
            self.counters.model_errors_in_row = 0
        except Exception:  # score lead by lead so one bad lead cannot take the batch down
            log.exception("model failed on a batch of %d; retrying lead by lead", len(rows))
            for i in rows:
                try:
                    self._explain_into(state, matrix[[i]], [leads[i]], [i], results, lang, top)
                    self.counters.model_errors_in_row = 0
                except Exception:
                    self.counters.model_errors_in_row += 1
                    log.exception("model failed on lead %d; the rules answer", i)
                    results[i] = self._fallback(results[i], "model_error", lang)

    def _explain_into(self, state, matrix, leads, rows, results, lang, top) -> None:
        meta = state.model.metadata
        encoder = state.model.pipeline.named_steps["encode"]
        explanation = explain_matrix(state.model.pipeline, matrix, record_values(encoder, leads))
        bands = assign_bands(explanation.probability, self.config.bands or meta.bands.thresholds())
        order = impact_order(explanation)
        missing_values = meta.missing_values
        for j, i in enumerate(rows):
            results[i].update(
                probability=round(float(explanation.probability[j]), 6), score=int(explanation.score[j]),
                band=str(bands[j]), source="model", model_version=state.version, fallback_reason=None,
                base_score=round(explanation.base_score, 3),
                reasons=reasons_for(explanation, j, top=top, lang=lang, missing_values=missing_values, order=order[j],
                                    glossary=state.model.glossary),
            )
            results[i]["action"] = self._action(results[i]["band"], lang)

    def _rule_part(self, lead: Mapping[str, object], lang: str, glossary: Glossary, state=None) -> dict:
        if state is not None and not has_rule_table(state.model.metadata):
            # Another data set's points table would score this lead 0 and call it a rule score: say why not.
            return {"rule_score": None, "rule_reasons": [], "rule_note": NO_RULES}
        points, reasons = self.rules.score_record(lead, lang=lang, glossary=glossary)
        return {"rule_score": points, "rule_reasons": reasons, "rule_note": None}

    def _fallback(self, result: dict, why: str, lang: str) -> dict:
        points = result["rule_score"]
        if points is None:  # no rule table to fall back on: no score rather than a silent 0 (cold)
            result.update(probability=None, score=None, band=None, source="rules", model_version=None,
                          base_score=None, fallback_reason=why, reasons={"positive": [], "negative": []},
                          action=None)
            self.counters.fallbacks[why] = self.counters.fallbacks.get(why, 0) + 1
            return result
        thresholds = self.config.rule_bands
        band = str(assign_bands(np.array([points]), thresholds)[0])
        # No calibrated probability exists for a points table: probability stays null, score is the points.
        result.update(probability=None, score=int(round(points)), band=band, source="rules", model_version=None,
                      base_score=None,
                      fallback_reason=why, reasons={"positive": [
                          {"feature": r["feature"], "label": r["label"], "value": r["value"], "impact": r["points"],
                           "text": r["text"]}
                          for r in result["rule_reasons"]], "negative": []})
        result["action"] = self._action(band, lang)
        return result

    def _action(self, band: str, lang: str) -> dict:
        action = self.config.actions.get(band)
        if action is None:
            return {"band": band, "text": None}
        return {"band": band, "channel": action.channel, "within_hours": action.within_hours,
                "text": action.zh if lang == "zh" else action.en}

    def describe(self) -> dict:
        """What GET /model reports."""
        state = self.state
        out = {"model_uri": self.config.model_uri, "status": ("failing" if state and not self.ready else
                                                              "model" if state else "rules"),
               "counters": {"by_source": self.counters.by_source, "fallbacks": self.counters.fallbacks,
                            "load_errors": self.counters.load_errors,
                            "last_load_error": self.counters.last_load_error,
                            "model_errors_in_row": self.counters.model_errors_in_row}}
        if state:
            meta = state.model.metadata
            out.update(version=state.version, loaded_at=state.loaded_at, name=meta.dataset,
                       trained_at=meta.trained_at, data_window=meta.data_window, rows=meta.rows,
                       positive_rate=meta.positive_rate, protocol=meta.protocol, metrics=meta.metrics,
                       bands=self.config.bands or meta.bands.thresholds(), features=list(meta.features.values()),
                       known_after_contact=meta.known_after_contact)
        return out


    @property
    def id_field(self) -> str | None:
        state = self.state
        return state.model.metadata.id_field if state else None

    def unknown_fields(self, leads: Sequence[Mapping[str, object]]) -> list[str]:
        """Fields no model feature, rule or id uses: ignored, and listed back to the caller."""
        state = self.state
        keys = sorted({k for lead in leads for k in lead})
        known = {rule.field for rule in self.rules.rules} | {"lead_id", self.id_field}
        if state is None:
            return [k for k in keys if k not in known]
        known |= context_fields(state.model.pipeline)
        return [k for k in state.model.pipeline.named_steps["encode"].unknown_fields(keys) if k not in known]

    def log_rows(self, leads: Sequence[Mapping[str, object]], ids: list, results: list[dict], request_id: str,
                 origin: str) -> list[dict]:
        """Prediction log rows (training/loop/store.py) of one request. The served model's name,
        version and dataset are kept even when the rules answered a lead (source says which)."""
        state = self.state
        name = self.config.model_uri.removeprefix("models:/").split("@")[0].split("/")[0][:128] if state else None
        dataset = state.model.metadata.dataset if state else None
        now = datetime.now(UTC)
        if state is not None:  # the joined and engagement fields too, so monitor sees their drift
            leads = enrich_records(state.model.pipeline, leads)
        return [{"row_key": f"{request_id}:{i}", "logged_at": now, "request_id": request_id, "origin": origin,
                 "lead_id": None if lead_id is None else lead_id[:128],
                 "model_name": name, "model_version": state.version if state else None, "dataset": dataset,
                 "source": result["source"], "probability": result["probability"], "score": result["score"],
                 "band": result["band"], "rule_score": result["rule_score"],
                 "inputs": json.dumps(self.loggable_inputs(lead), ensure_ascii=False, default=str)}
                for i, (lead, lead_id, result) in enumerate(zip(leads, ids, results, strict=True))]

    def loggable_inputs(self, lead: Mapping[str, object]) -> dict:
        """The lead's model and rule fields only, for the prediction log: never personal data."""
        state = self.state
        allowed = set(state.model.pipeline.named_steps["encode"].column_index_) if state else set()
        allowed |= {rule.field for rule in self.rules.rules}
        return {k: v for k, v in lead.items() if k in allowed}
