"""The prediction service (BentoML): POST /predict, POST /reload, GET /model, /livez, /readyz, /docs.

Start it with `leadscore serve` (or `bentoml serve serving.service:LeadScoring`). Configuration comes
from the environment (serving/config.py). The model is loaded from the MLflow registry in the
background: /livez answers at once, /readyz is 503 (and the rules answer) until a model has passed its
canary, and loading is retried every `retry_seconds` while none is served.
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Literal

import bentoml
from fastapi import FastAPI
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from features import LeadscoreError
from serving.auth import BearerAuth
from serving.config import ServiceConfig
from serving.guard import RequestGuard
from serving.predlog import PredictionLog
from serving.redact import install_redaction

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"

# A lead's recent activities ride in its own `activities` field: [{"at": ..., "type": ..., "channel": ...}]
Activity = dict[str, StrictStr | StrictInt | StrictFloat | StrictBool | None]  # at, type, channel and any extra field
LeadValue = StrictStr | StrictInt | StrictFloat | StrictBool | list[Activity] | None
Leads = Annotated[list[dict[str, LeadValue]], Field(min_length=1, max_length=1000,
                                                     description="1 to 1,000 leads: CRM field -> value")]
# An int when given (null is refused); left out, the service's top_reasons (3 unless configured).
Reasons = Annotated[int, Field(ge=1, le=20, description="top reasons per side (default: top_reasons, 3)")]
Questions = Annotated[StrictBool, Field(description=(
    "true: each result carries `questions`, the unknown fields worth asking about, best first, each with "
    "the score and band every answer gives (default: the service config's `questions`)"))]
PAGE_QUERY = ("lang", "token")  # token: the auth middleware reads it when a browser opens the page
RESULT_KEYS = ("probability", "score", "band", "source", "model_version", "fallback_reason", "base_score", "reasons",
               "action", "follow_up_by", "rule_score", "rule_reasons", "rule_note", "percentile", "average_score",
               "band_note")
extra = FastAPI(title="leadscore extras")


@extra.get("/model")
def model_info() -> dict:
    """The served model: version, training time, data window, metrics, features, and service counters."""
    return bentoml.get_current_service().describe()


@extra.get("/drivers", response_class=HTMLResponse)
def drivers_page(request: Request, lang: Literal["en", "zh"] = "en") -> Response:
    """The managers' page: drivers, lead explainer and model card (behind the API token when set; a browser
    may send it as ?token=...)."""
    refused = page_query_fault(request.query_params.multi_items())
    if refused:
        return JSONResponse({"detail": [{"loc": ["query", refused[0]], "msg": refused[1]}]}, status_code=422)
    return bentoml.get_current_service().page(lang)


def page_query_fault(items: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(parameter, message) for the first query parameter the page does not take or one sent twice; the
    message never quotes it (the guard keeps the name in `loc`, cut as field names are).

    FastAPI ignores unknown parameters and keeps the last of repeated ones: a link with a typo
    (`?lnag=zh`) would silently show English. The message names the parameter, never its value."""
    seen: set[str] = set()
    for name, _ in items:
        if name not in PAGE_QUERY:
            return name, "a query parameter this page does not take; send only lang (en or zh) and, " \
                         "from a browser, token"
        if name in seen:
            return name, "a query parameter sent more than once; send it once"
        seen.add(name)
    return None


@extra.get("/static/explainer.js")
def explainer_script() -> FileResponse:
    return FileResponse(STATIC / "explainer.js", media_type="text/javascript")


@extra.get("/favicon.ico")
def favicon() -> Response:
    """The page carries its icon inline; this answers clients that ask for /favicon.ico anyway."""
    from training import FAVICON_SVG  # imported on use: the report module takes seconds to import

    return Response(FAVICON_SVG, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


# BentoML's access log is off: the request guard (serving/guard.py) writes one line per request, with
# its id, route and status and never a value from the body. Prometheus metrics (/metrics)
# cost about 0.5 ms at p50 and 3 ms at p99 per one-lead request here: opt in with LEADSCORE_METRICS=1.
@bentoml.service(name="leadscore", workers=1, traffic={"timeout": 60}, logging={"access": {"enabled": False}},
                 metrics={"enabled": ServiceConfig.metrics_enabled()},
                 endpoints={"livez": "/livez", "readyz": "/readyz"})
@bentoml.asgi_app(extra, path="/")
class LeadScoring:
    def __init__(self) -> None:
        _die_with_parent()
        install_redaction()
        self.config = ServiceConfig.from_env()
        self.scorer = None  # built by the loader thread: its imports take seconds, /livez answers meanwhile
        self.start_error: str | None = None
        self.log = PredictionLog(self.config.prediction_db, spool=self.config.prediction_spool,
                                 max_spool_bytes=self.config.max_spool_bytes)
        self._pages: dict = {}
        threading.Thread(target=self._watch, name="model-loader", daemon=True).start()

    def _load(self) -> bool:
        loaded = self.scorer.load()  # the canary lead inside pays the one-off costs before traffic
        # Libraries and the model live as long as the process: freezing them keeps the garbage collector
        # from walking them again, which otherwise shows as 100+ ms latency spikes (p99 149 ms -> 6 ms).
        gc.collect()
        gc.freeze()
        return loaded

    @bentoml.on_shutdown
    def _flush_log(self) -> None:
        """Write the rows still queued: a stopped service loses no prediction log entry."""
        self.log.close()

    def __is_ready__(self) -> bool:  # /readyz is 503 while the rules stand in for the model
        return self.scorer is not None and self.scorer.ready

    def _watch(self) -> None:
        """Load the model; recover a missing one; with reload_seconds set, pick up a new champion."""
        try:
            from serving.scorer import Scorer

            self.scorer = Scorer(self.config)
        except Exception as exc:  # a broken rule table or glossary: reported by /model, /readyz stays 503
            self.start_error = f"{type(exc).__name__}: {str(exc)[:300]}"
            log.error("the service cannot start scoring: %s", self.start_error)
            return
        self._load()
        while True:
            wait = self.config.retry_seconds if not self.scorer.ready else self.config.reload_seconds
            if not wait:
                return  # serving a model and no periodic check asked for
            time.sleep(wait)
            if self.scorer.worth_loading():
                self._load()

    @bentoml.api(route="/predict")
    async def predict(self, leads: Leads, ctx: bentoml.Context, lang: Literal["en", "zh"] = "en",
                      reasons: Reasons = None, questions: Questions = None) -> dict:
        """Score leads: probability, score, band, reasons, action, and the rule score beside them."""
        if self.scorer is None:
            return _error(ctx, 503, [], "the service is starting; retry in a few seconds")
        if len(leads) > self.config.max_leads:
            return _error(ctx, 422, ["leads"], f"leads: expected 1 to {self.config.max_leads} leads (max_leads); "
                                               "send the rest in another request")
        try:
            asked = self.config.questions if questions is None else questions
            leads, unread = self.scorer.with_stored_activities(leads)  # `activities_from_db`, else as sent
            scored = self.scorer.score(leads, lang, top=reasons, questions=asked, unread=unread)
        except LeadscoreError as exc:
            return _error(ctx, 422, list(exc.loc or ("leads",)), str(exc))
        request_id = ctx.request.headers.get("x-request-id", "")  # set by the request guard
        # What the model that scored them reads, even if another was loaded meanwhile.
        unknown = self.scorer.unknown_fields(leads, scored.state)
        id_field = scored.state.model.metadata.id_field if scored.state else None
        ids = [_lead_id(lead, id_field) for lead in leads]
        self.log.record(self.scorer.log_rows(scored, ids, request_id, _origin(ctx)))
        keys = (*RESULT_KEYS, "questions") if asked else RESULT_KEYS
        results = [{"lead_id": lead_id, **{k: result[k] for k in keys}}
                   for lead_id, result in zip(ids, scored.results, strict=True)]
        # Serialised here: BentoML's output model would validate and copy every nested field again,
        # which costs more than scoring 1,000 leads.
        # Strict JSON (RFC 8259 has no NaN): the scorer never lets a non-finite number out, and should one
        # slip through, this raises (a logged 500) rather than answer a body a strict client cannot read.
        body = json.dumps({"request_id": request_id, "results": results, "unknown_fields": unknown},
                          ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return Response(body.encode("utf-8"), media_type="application/json")

    @bentoml.api(route="/reload")
    def reload(self) -> dict:
        """Load the configured model again (e.g. after a new champion was promoted)."""
        loaded = self.scorer is not None and self._load()
        return {"reloaded": loaded, **self.describe()}

    def page(self, lang: str) -> HTMLResponse:
        from serving.monitor_page import monitor_section
        from training import render_report
        from training.registry.uri import parse_model_uri

        state = self.scorer.state if self.scorer else None
        if state is None or not state.model.metadata.page:
            return HTMLResponse("<!doctype html><meta charset='utf-8'><h1>No model is loaded</h1>"
                                "<p>Scores come from the rule table until a model is available.</p>", status_code=503)
        key = (id(state), lang)  # drawn once per loaded model and language; a reload draws anew
        # "How the scores held up", from the latest stored monitoring report
        held_up = monitor_section(self.config.prediction_db, parse_model_uri(self.config.model_uri).name, lang)
        key = (*key, hash(held_up))  # drawn again only when monitoring has new figures
        if key not in self._pages:  # kept encoded: later requests only send the bytes
            body = render_report(state.model.metadata, lang, interactive=True, version=state.version,
                                 monitoring_html=held_up).encode()
            self._pages = {key: body, **{k: v for k, v in self._pages.items() if k[0] == id(state)}}
        return HTMLResponse(self._pages[key])

    def describe(self) -> dict:
        scorer = self.scorer.describe() if self.scorer else {"model_uri": self.config.model_uri, "status": "starting",
                                                               "start_error": self.start_error}
        # A held-out metric may be NaN (one class only in a slice): null in strict JSON.
        return finite_only({**scorer, "prediction_log": {**self.log.counters, "failures": self.log.failures}})


LeadScoring.add_asgi_middleware(RequestGuard)  # first added runs first: ids, logs and error shape for all
LeadScoring.add_asgi_middleware(BearerAuth)


def _origin(ctx: bentoml.Context) -> str:
    """'page' for the managers' page explainer (it sends X-Leadscore-Origin: page), else 'api'."""
    return "page" if ctx.request.headers.get("x-leadscore-origin", "").lower() == "page" else "api"


def _die_with_parent() -> None:
    """The worker gets SIGTERM when the process that started it dies, even by SIGKILL, so no orphan
    keeps serving or holds the port (the server's supervisor puts workers in sessions of their own)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if parent == 1 or os.getppid() != parent:  # the parent died before the call: nobody would send the signal
        os.kill(os.getpid(), signal.SIGTERM)


def _lead_id(lead: dict, id_field: str | None) -> str | None:
    """The spec's id field when the lead has it, else a plain `lead_id`."""
    value = lead.get(id_field) if id_field else None
    value = value if value is not None else lead.get("lead_id")
    return None if value is None else str(value)


def finite_only(value):
    """`value` with every NaN or infinite float replaced by None, for strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_only(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_only(v) for v in value]
    return value


def _error(ctx: bentoml.Context, status: int, loc: list, message: str) -> JSONResponse:
    ctx.response.status_code = status  # BentoML sets the answer's status from the context
    return JSONResponse({"error": message, "detail": [{"loc": loc, "msg": message}]}, status_code=status)
