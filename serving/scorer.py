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

import numpy as np

from features import Glossary, load_glossary
from features.context import (
    ACTIVITIES_FIELD,
    check_fields,
    computed_fields,
    context_fields,
    enrich_records,
)
from serving.config import ServiceConfig
from serving.model_check import fetch_model
from serving.stored_activities import ACTIVITIES_UNAVAILABLE, StoredActivities
from training import (
    LoadedModel,
    RuleTable,
    assign_bands,
    explain_matrix,
    impact_order,
    load_rules,
    reasons_for,
    record_values,
    resolve_version,
)
from training.explain.treeshap import FEW_ROWS
from training.loop.pii import mask_value
from training.loop.rows import prediction_rows
from training.registry.model_contract import ModelRefused
from training.rules.table import rules_for_model
from training.scoring.answer import (
    TOO_MANY_MISSING,
    band_note,
    follow_up_actions,
    lead_columns,
    percentile,
    rule_note,
    too_many_missing,
)

log = logging.getLogger(__name__)
FAILING_AFTER = 5  # model errors in a row after which /readyz reports the model as failing


@dataclass(frozen=True)
class ModelState:
    model: LoadedModel
    loaded_at: float
    rules: RuleTable | None = None  # the points table beside this model (training/rules/table.py rules_for_model)

    @property
    def version(self) -> str | None:
        return self.model.version


@dataclass(frozen=True)
class Scored:
    """One request's answers, with the leads as the model that scored them saw them (lookups joined,
    engagement computed; as sent when no model was loaded) and that model's state: what the prediction
    log records (`Scorer.log_rows`)."""

    results: list[dict]
    leads: Sequence[Mapping[str, object]]
    state: ModelState | None


def id_field_of(state: ModelState | None) -> str | None:
    """The spec's lead id field of the model in `state` (None: no model)."""
    return state.model.metadata.id_field if state else None


NO_RULES = "no rule table in the model's dataset spec (spec key 'rules'): no rule score"


def answer_problem(result: dict) -> str | None:
    """What makes a model's answer fall outside the answer's contract (serving/openapi.py), if anything."""
    if result.get("source") != "model":
        return f"the rules answered ({result.get('fallback_reason')})"
    probability, score = result.get("probability"), result.get("score")
    if not isinstance(probability, float) or not 0.0 <= probability <= 1.0:
        return "its probability is outside 0..1"
    if not isinstance(score, int) or not 0 <= score <= 100:
        return "its score is outside 0..100"
    if result.get("band") not in ("hot", "warm", "cold"):
        return "its band is not hot, warm or cold"
    return None


@dataclass
class Counters:
    by_source: dict = field(default_factory=lambda: {"model": 0, "rules": 0})
    fallbacks: dict = field(default_factory=dict)
    load_errors: int = 0
    refused_versions: int = 0  # loads refused by a check (metadata against pipeline, canary), not by the registry
    last_load_error: str | None = None
    model_errors_in_row: int = 0
    masked_inputs: int = 0  # emails and phone numbers masked in the prediction log's inputs


class Scorer:
    def __init__(self, config: ServiceConfig, rules: RuleTable | None = None):
        self.config = config
        self.rules = rules or load_rules(config.rules)  # LEADSCORE_RULES: while no model is loaded, and beside
        # a model whose own table is not on this machine
        self.glossary = load_glossary(config.display)  # for rule reasons while no model is loaded
        self.state: ModelState | None = None
        self.counters = Counters()
        self._reload_lock = threading.Lock()
        self._refused: str | None = None  # the version last refused: not tried again until the alias moves
        # `activities_from_db`: leads sent without activities get theirs from the loop database
        self.stored = StoredActivities(config.prediction_db) if config.activities_from_db else None
        self._configured_actions = config.action_dicts()  # once: `_actions` runs for every answer

    # -- lifecycle ---------------------------------------------------------------------------------
    def load(self) -> bool:
        """Load (or reload) the configured model; swap it in only once it has scored its canary lead
        through the model path. On failure keep what is served and say why."""
        with self._reload_lock:
            try:
                model, lead = fetch_model(self.config.model_uri)
                candidate = ModelState(model=model, loaded_at=time.time(),
                                       rules=rules_for_model(model.metadata, self.rules))
                self._check_canary(candidate, lead)
            except Exception as exc:  # unreachable registry, missing alias, bad file or metadata: refused
                self.counters.load_errors += 1
                if isinstance(exc, ModelRefused):
                    self.counters.refused_versions += 1
                    self._refused = exc.version
                self.counters.last_load_error = str(exc).splitlines()[0][:500]
                log.warning("model %s not loaded: %s", self.config.model_uri, self.counters.last_load_error)
                return False
            previous = self.state.version if self.state else None
            if candidate.rules is None:
                log.warning("model %s has no rule table in its spec: rule_score is null in every answer",
                            self.config.model_uri)
            self.state = candidate
            self.counters.model_errors_in_row = 0
            self.counters.last_load_error, self._refused = None, None  # what failed before is not what is served
            log.info("serving model %s version %s (was %s)", self.config.model_uri, model.version, previous)
            return True

    def worth_loading(self) -> bool:
        """While no model serves: unless the version behind the alias was refused (a refusal is for good).
        While one serves: when the alias moved to another version."""
        if not self.ready:
            return self._refused is None or self.champion_changed()
        return self.champion_changed()

    def champion_changed(self) -> bool:
        """Whether the registry now points the configured alias at another version."""
        try:
            current = resolve_version(self.config.model_uri)
        except Exception:
            return False
        return current is not None and current != self._refused and (
            self.state is None or current != self.state.version)

    def _check_canary(self, state: ModelState, lead: dict) -> None:
        """Score `lead` with the candidate model the way a request is scored (no counters touched): sent as
        JSON under the CRM names the model publishes, encoded, explained, and answered within the answer's
        ranges as strict JSON. Raises ModelRefused when it cannot."""
        names = state.model.metadata.features
        computed = computed_fields(state.model.pipeline)  # a training row holds them; a client never sends them
        sent = json.loads(json.dumps({names.get(k, k): v for k, v in lead.items()
                                      if k not in computed and names.get(k, k) not in computed}, allow_nan=False))
        try:
            result = self._score(state, [sent], "en", None, live=False).results[0]
            json.dumps(result, allow_nan=False)
        except Exception as exc:
            raise ModelRefused(f"model version {state.version} failed its canary lead ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0][:200] if str(exc) else 'no message'})",
                               state.version) from None
        problem = answer_problem(result)
        if problem:
            raise ModelRefused(f"model version {state.version} failed its canary lead: {problem}", state.version)
        classifier = state.model.pipeline.named_steps["classify"]
        if hasattr(classifier, "warm_up"):  # models from before LeadClassifier have no tables to build
            classifier.warm_up()

    @property
    def ready(self) -> bool:
        """A model is loaded and has not failed on the last FAILING_AFTER leads in a row."""
        return self.state is not None and self.counters.model_errors_in_row < FAILING_AFTER

    # -- scoring -----------------------------------------------------------------------------------
    def with_stored_activities(self, leads: Sequence[Mapping[str, object]]
                               ) -> tuple[Sequence[Mapping[str, object]], frozenset[int]]:
        """With `activities_from_db` and a model that reads activities: the leads sent without activities
        get their stored ones (serving/stored_activities.py). Also the positions of the leads whose
        activities could not be read (the rules answer them: pass them to `score`)."""
        state = self.state
        if self.stored is None or state is None or ACTIVITIES_FIELD not in context_fields(state.model.pipeline):
            return leads, frozenset()
        check_fields(leads)  # an id sent as a list is the caller's 422 before any query
        return self.stored.fill(leads, state.model.metadata.id_field)

    def score(self, leads: Sequence[Mapping[str, object]], lang: str = "en", top: int | None = None,
              questions: bool = False, unread: frozenset[int] = frozenset()) -> Scored:
        """One result per lead, in order, with the leads as the model saw them. Raises LeadscoreError (a 4xx)
        for a value of the wrong kind. With `questions`, each result has `questions` (none for a lead the
        rules answered). `unread`: leads whose stored activities could not be read, answered by the rules."""
        scored = self._score(self.state, leads, lang, top, questions=questions, unread=unread)  # state read once
        self._count(scored.results)  # cannot change it mid-request
        return scored

    def _score(self, state: ModelState | None, leads: Sequence[Mapping[str, object]], lang: str, top: int | None,
               live: bool = True, questions: bool = False, unread: frozenset[int] = frozenset()) -> Scored:
        """The request path. `live` False (a canary): a model error is raised, not answered by the rules."""
        glossary = state.model.glossary if state else self.glossary
        check_fields(leads, state.model.pipeline if state is not None else None)
        if state is not None:  # lookups joined, engagement as of the request's time (features/context.py)
            leads = enrich_records(state.model.pipeline, leads)
        results = [self._rule_part(lead, lang, glossary, state) for lead in leads]
        if questions:
            for result in results:
                result["questions"] = []
        if state is None:
            results = [self._fallback(r, "model_unavailable", lang) for r in results]
            for result in results:  # without a model, no spec says which field holds the creation time
                result["follow_up_by"] = None
            return Scored(results, leads, state)
        encoder = state.model.pipeline.named_steps["encode"]
        matrix = encoder.transform_records(leads)  # validates every lead first: bad values name their field
        lacking = too_many_missing(matrix, self.config.max_missing_share,  # the same test as batch scoring
                                   lead_columns(state.model.pipeline))
        rows = [i for i in range(len(leads)) if not lacking[i] and i not in unread]
        for i in sorted(set(range(len(leads))) - set(rows)):
            why = ACTIVITIES_UNAVAILABLE if i in unread else TOO_MANY_MISSING
            results[i] = self._fallback(results[i], why, lang, state)
        variants = self._variants(state, leads, matrix, rows) if questions else None
        if rows and live:
            self._model_part(state, matrix, leads, rows, results, lang, top or self.config.top_reasons, variants)
        elif rows:
            self._explain_into(state, matrix[rows], [leads[i] for i in rows], rows, results, lang,
                               top or self.config.top_reasons, variants)
        if questions:
            self._questions_into(state, leads, results, lang, variants)
        self._follow_up_into(state, leads, results)
        return Scored(results, leads, state)

    def _follow_up_into(self, state, leads, results) -> None:
        """`follow_up_by`: the lead's creation (or last activity) time plus its band's deadline."""
        from serving.follow_up import follow_up_by

        meta, actions = state.model.metadata, self._actions(state)
        for i, (lead, result) in enumerate(zip(leads, results, strict=True)):
            action = actions.get(result["band"]) if result["band"] else None
            result["follow_up_by"] = follow_up_by(lead, i, action.get("within_hours") if action else None,
                                                  meta.created_field, meta.created_format,
                                                  self.config.last_activity_field)

    @staticmethod
    def _variants(state, leads, matrix, rows):
        """The filled-in leads of the questions worth asking, encoded from the leads' own rows."""
        from training.explain.questions import record_variants

        return record_variants(state.model, leads, matrix, rows) if rows and state.model.metadata.askable else None

    def _questions_into(self, state, leads, results, lang, variants=None) -> None:
        """Questions worth asking (training/explain/questions.py), from the model that scored the leads."""
        from training.explain.questions import questions_for_records

        current = {i: (r["probability"], r["band"]) for i, r in enumerate(results) if r["source"] == "model"}
        found = questions_for_records(state.model, leads, current, self.config.bands or state.model.metadata.bands
                                      .thresholds(), lang, self.config.question_min_change, variants)
        for i, asked in found.items():
            results[i]["questions"] = asked

    def _count(self, results: list[dict]) -> None:
        """Traffic only: the canary of a load is never counted."""
        for result in results:
            self.counters.by_source[result["source"]] += 1
            if result["fallback_reason"]:
                self.counters.fallbacks[result["fallback_reason"]] = self.counters.fallbacks.get(
                    result["fallback_reason"], 0) + 1

    def _model_part(self, state, matrix, leads, rows, results, lang, top, variants=None) -> None:
        try:
            self._explain_into(state, matrix[rows], [leads[i] for i in rows], rows, results, lang, top, variants)
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
                    results[i] = self._fallback(results[i], "model_error", lang, state)

    def _explain_into(self, state, matrix, leads, rows, results, lang, top, variants=None) -> None:
        """Scores and reasons of `leads` (encoded as `matrix`) into `results[rows]`. `variants` (the
        filled-in leads of their questions) go in the same model call when the batch stays within the
        few-leads path a one-lead request takes (so each filled-in lead's probability is the one /predict
        answers for it alone); otherwise the questions score them in their own call."""
        meta = state.model.metadata
        encoder = state.model.pipeline.named_steps["encode"]
        together = variants is not None and len(variants) and len(rows) + len(variants) <= FEW_ROWS
        if together:  # only the leads' rows carry values: reasons are read for them alone
            matrix = np.vstack([matrix, variants.matrix])
        explanation = explain_matrix(state.model.pipeline, matrix, record_values(encoder, leads))
        # The checks and the answers read the leads' own rows alone: a filled-in lead the model cannot
        # score costs its question (training/explain/questions.py), not its lead's answer.
        stacked = explanation.probability[len(rows):]
        explanation = explanation.head(len(rows))
        probability = explanation.probability
        if not np.all((probability >= 0.0) & (probability <= 1.0)):  # NaN fails too: the rules answer instead
            raise ValueError("the model gave a probability outside 0..1")
        if not (np.isfinite(explanation.points).all() and np.isfinite(explanation.base_score)):
            raise ValueError("the model's reasons are not finite numbers")
        bands = assign_bands(explanation.probability, self.config.bands or meta.bands.thresholds())
        order = impact_order(explanation)
        missing_values = meta.missing_values
        for j, i in enumerate(rows):
            rank = percentile(float(explanation.probability[j]), meta.bands.quantiles)
            average = meta.bands.average
            results[i].update(
                probability=round(float(explanation.probability[j]), 6), score=int(explanation.score[j]),
                band=str(bands[j]), source="model", model_version=state.version, fallback_reason=None,
                base_score=round(explanation.base_score, 3), percentile=rank,
                average_score=None if average is None else round(average * 100, 1),
                band_note=None if self.config.bands else band_note(str(bands[j]), float(explanation.score[j]),
                                                                   meta.bands, lang, meta.record, rank),
                reasons=reasons_for(explanation, j, top=top, lang=lang, missing_values=missing_values, order=order[j],
                                    glossary=state.model.glossary),
            )
            results[i]["action"] = self._action(results[i]["band"], lang, state)
        if together:
            variants.probability = stacked

    def _rule_part(self, lead: Mapping[str, object], lang: str, glossary: Glossary, state=None) -> dict:
        rules = self.rules_of(state)
        if rules is None:
            # Another data set's points table would score this lead 0 and call it a rule score: say why not.
            return {"rule_score": None, "rule_reasons": [], "rule_note": NO_RULES}
        points, reasons = rules.score_record(lead, lang=lang, glossary=glossary)
        return {"rule_score": points, "rule_reasons": reasons, "rule_note": None}

    def rules_of(self, state: ModelState | None) -> RuleTable | None:
        return state.rules if state is not None else self.rules

    def rule_fields(self, state: ModelState | None) -> set[str]:
        rules = self.rules_of(state)
        return {rule.field for rule in rules.rules} if rules else set()

    def _fallback(self, result: dict, why: str, lang: str, state=None) -> dict:
        points = result["rule_score"]
        result.update(percentile=None, average_score=None, band_note=None)
        if points is None:  # no rule table to fall back on: no score rather than a silent 0 (cold)
            result.update(probability=None, score=None, band=None, source="rules", model_version=None,
                          base_score=None, fallback_reason=why, reasons={"positive": [], "negative": []},
                          action=None)
            return result
        thresholds = self.config.rule_bands
        band = str(assign_bands(np.array([points]), thresholds)[0])
        # No calibrated probability exists for a points table: probability stays null, score is the points.
        # The answer's score is 0-100 (the OpenAPI document says so); a table whose points go beyond keeps
        # its own figure in rule_score.
        result.update(probability=None, score=min(max(int(round(points)), 0), 100), band=band, source="rules",
                      model_version=None, base_score=None,
                      fallback_reason=why, reasons={"positive": [
                          {"feature": r["feature"], "label": r["label"], "value": r["value"], "impact": r["points"],
                           "text": r["text"]}
                          for r in result["rule_reasons"]], "negative": []})
        result["band_note"] = rule_note(points, why, thresholds, lang)
        result["action"] = self._action(band, lang, state)
        return result

    def _actions(self, state) -> Mapping[str, Mapping]:
        """The actions that apply (training/scoring/answer.py `follow_up_actions`, as monitor reads them)."""
        meta = state.model.metadata if state is not None else None
        return follow_up_actions(meta.record if meta else "lead", meta.actions if meta else None,
                                 self._configured_actions)

    def _action(self, band: str, lang: str, state=None) -> dict:
        action = self._actions(state).get(band)
        if action is None:
            return {"band": band, "text": None}
        return {"band": band, "channel": action["channel"], "within_hours": action.get("within_hours"),
                "text": action["zh" if lang == "zh" else "en"]}

    def describe(self) -> dict:
        """What GET /model reports."""
        state = self.state
        out = {"model_uri": self.config.model_uri, "status": ("failing" if state and not self.ready else
                                                              "model" if state else "rules"),
               "counters": {"by_source": self.counters.by_source, "fallbacks": self.counters.fallbacks,
                            "load_errors": self.counters.load_errors,
                            "refused_versions": self.counters.refused_versions,
                            "last_load_error": self.counters.last_load_error,
                            "model_errors_in_row": self.counters.model_errors_in_row,
                            "masked_inputs": self.counters.masked_inputs}}
        if self.stored is not None:
            out["counters"]["stored_activities"] = dict(self.stored.counters)
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
        return id_field_of(self.state)

    def unknown_fields(self, leads: Sequence[Mapping[str, object]], state: ModelState | None) -> list[str]:
        """Fields no model feature, rule or id uses: ignored, and listed back to the caller. `state`: the
        model that scored them (`Scored.state`), not the one loaded since."""
        keys = sorted({k for lead in leads for k in lead})
        known = self.rule_fields(state) | {"lead_id", id_field_of(state)}
        if state is None:
            return [k for k in keys if k not in known]
        # the creation (or last activity) time is no feature, but follow_up_by counts from it: not ignored
        known |= context_fields(state.model.pipeline) | {state.model.metadata.created_field,
                                                          self.config.last_activity_field}
        return [k for k in state.model.pipeline.named_steps["encode"].unknown_fields(keys) if k not in known]

    def log_rows(self, scored: Scored, ids: list, request_id: str, origin: str) -> list[dict]:
        """Prediction log rows of one request (training/loop/rows.py, the builder batch scoring uses too):
        the leads as the model that scored them saw them (joined and engagement fields too, so monitor sees
        their drift), under that model's name."""
        model = scored.state.model if scored.state is not None else None
        inputs = [json.dumps(self.loggable_inputs(lead, scored.state), ensure_ascii=False, default=str)
                  for lead in scored.leads]
        return prediction_rows(request_id, origin, model, ids, scored.results, inputs)

    def loggable_inputs(self, lead: Mapping[str, object], state: ModelState | None) -> dict:
        """The lead's model and rule fields only, for the prediction log: never personal data. A text
        value holding an email address or a phone number is masked (training/loop/pii.py) and counted; numbers
        are logged as sent (a numeric field takes no other text)."""
        encoder = state.model.pipeline.named_steps["encode"] if state else None
        index = encoder.column_index_ if encoder is not None else {}
        allowed = set(index) | self.rule_fields(state)
        logged = {}
        for key, value in lead.items():
            if key not in allowed:
                continue
            if key not in index or not encoder.is_numeric_[index[key]]:
                value, masked = mask_value(value)
                self.counters.masked_inputs += masked
            logged[key] = value
        return logged
