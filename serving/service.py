"""The prediction service (BentoML): POST /predict, POST /reload, GET /model, /livez, /readyz, /docs.

Start it with `leadscore serve` (or `bentoml serve serving.service:LeadScoring`). Configuration comes
from the environment (serving/config.py). The model is loaded from the MLflow registry at start-up;
without it the service starts on rules, reports not-ready, and keeps trying.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated, Literal

import bentoml
from fastapi import FastAPI
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from features.errors import LeadscoreError
from serving.auth import BearerAuth
from serving.batch_log import model_name
from serving.config import ServiceConfig
from serving.monitor_page import monitor_section
from serving.predlog import PredictionLog
from serving.scorer import Scorer
from training.report import FAVICON_SVG, render_report

STATIC = Path(__file__).parent / "static"

LeadValue = StrictStr | StrictInt | StrictFloat | StrictBool | None
Leads = Annotated[list[dict[str, LeadValue]], Field(min_length=1, max_length=1000,
                                                     description="1 to 1,000 leads: CRM field -> value")]
Reasons = Annotated[int | None, Field(ge=1, le=20, description="top reasons per side (default 3)")]
RESULT_KEYS = ("probability", "score", "band", "source", "model_version", "fallback_reason", "base_score", "reasons",
               "action", "rule_score", "rule_reasons")
extra = FastAPI(title="leadscore extras")


@extra.get("/model")
def model_info() -> dict:
    """The served model: version, training time, data window, metrics, features, and service counters."""
    return bentoml.get_current_service().describe()


@extra.get("/drivers", response_class=HTMLResponse)
def drivers_page(lang: Literal["en", "zh"] = "en") -> HTMLResponse:
    """The managers' page: drivers, lead explainer and model card (behind the API token when set)."""
    return bentoml.get_current_service().page(lang)


@extra.get("/static/explainer.js")
def explainer_script() -> FileResponse:
    return FileResponse(STATIC / "explainer.js", media_type="text/javascript")


@extra.get("/favicon.ico")
def favicon() -> Response:
    """The page carries its icon inline; this answers clients that ask for /favicon.ico anyway."""
    return Response(FAVICON_SVG, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


# BentoML's access log is off: writing a line per request costs more than scoring a lead, and the
# prediction log already records every scored lead (without personal data). Prometheus metrics (/metrics)
# cost about 0.5 ms at p50 and 3 ms at p99 per one-lead request here: opt in with LEADSCORE_METRICS=1.
@bentoml.service(name="leadscore", workers=1, traffic={"timeout": 60}, logging={"access": {"enabled": False}},
                 metrics={"enabled": os.environ.get("LEADSCORE_METRICS") == "1"},
                 endpoints={"livez": "/livez", "readyz": "/readyz"})
@bentoml.asgi_app(extra, path="/")
class LeadScoring:
    def __init__(self) -> None:
        self.config = ServiceConfig.from_env()
        self.scorer = Scorer(self.config)
        self.log = PredictionLog(self.config.prediction_db)
        self.model_name = model_name(self.config.model_uri)
        self._pages: dict = {}
        self._load()
        threading.Thread(target=self._watch, name="model-watcher", daemon=True).start()

    def _load(self) -> bool:
        loaded = self.scorer.load()
        if loaded:  # the first call pays one-off costs (lazy imports, buffers): pay them before traffic
            self.scorer.score([{}])
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
        return self.scorer.ready

    def _watch(self) -> None:
        """Recover a missing model; with reload_seconds set, pick up a newly promoted champion."""
        while True:
            wait = self.config.retry_seconds if not self.scorer.ready else self.config.reload_seconds
            if not wait:
                return  # serving a model and no periodic check asked for
            time.sleep(wait)
            if not self.scorer.ready or self.scorer.champion_changed():
                self._load()

    @bentoml.api(route="/predict")
    async def predict(self, leads: Leads, lang: Literal["en", "zh"] = "en", reasons: Reasons = None) -> dict:
        """Score leads: probability, score, band, reasons, action, and the rule score beside them."""
        if len(leads) > self.config.max_leads:
            return _error(422, ["leads"], f"at most {self.config.max_leads} leads per request")
        try:
            results = self.scorer.score(leads, lang, top=reasons)
        except LeadscoreError as exc:
            return _error(422, list(exc.loc or ("leads",)), str(exc))
        request_id = uuid.uuid4().hex
        unknown = self.scorer.unknown_fields(leads)
        id_field = self.scorer.id_field
        ids = [_lead_id(lead, id_field) for lead in leads]
        dataset = self.scorer.state.model.metadata.get("dataset") if self.scorer.state else None
        self.log.record([{"request_id": request_id, "lead_id": lead_id, "model_name": self.model_name,
                          "dataset": dataset, "model_version": result["model_version"], "source": result["source"],
                          "probability": result["probability"], "score": result["score"], "band": result["band"],
                          "rule_score": result["rule_score"], "inputs": self.scorer.loggable_inputs(lead)}
                         for lead, lead_id, result in zip(leads, ids, results, strict=True)])
        results = [{"lead_id": lead_id, **{k: result[k] for k in RESULT_KEYS}}
                   for lead_id, result in zip(ids, results, strict=True)]
        # Serialised here: BentoML's output model would validate and copy every nested field again,
        # which costs more than scoring 1,000 leads.
        body = json.dumps({"request_id": request_id, "results": results, "unknown_fields": unknown},
                          ensure_ascii=False, separators=(",", ":"))
        return Response(body.encode("utf-8"), media_type="application/json")

    @bentoml.api(route="/reload")
    def reload(self) -> dict:
        """Load the configured model again (e.g. after a new champion was promoted)."""
        loaded = self._load()
        return {"reloaded": loaded, **self.describe()}

    def page(self, lang: str) -> HTMLResponse:
        state = self.scorer.state
        if state is None or "page" not in state.model.metadata:
            return HTMLResponse("<!doctype html><meta charset='utf-8'><h1>No model is loaded</h1>"
                                "<p>Scores come from the rule table until a model is available.</p>", status_code=503)
        key = (id(state), lang)  # drawn once per loaded model and language; a reload draws anew
        held_up = monitor_section(self.config.prediction_db, self.model_name, lang)  # "How the scores held up"
        key = (*key, hash(held_up))  # drawn again only when monitoring has new figures
        if key not in self._pages:  # kept encoded: later requests only send the bytes
            body = render_report(state.model.metadata, lang, interactive=True, version=state.version,
                                 monitoring_html=held_up).encode()
            self._pages = {key: body, **{k: v for k, v in self._pages.items() if k[0] == id(state)}}
        return HTMLResponse(self._pages[key])

    def describe(self) -> dict:
        return {**self.scorer.describe(), "prediction_log": {"written": self.log.written,
                                                              "failures": self.log.failures}}


LeadScoring.add_asgi_middleware(BearerAuth)


def _lead_id(lead: dict, id_field: str | None) -> str | None:
    """The spec's id field when the lead has it, else a plain `lead_id`."""
    value = lead.get(id_field) if id_field else None
    value = value if value is not None else lead.get("lead_id")
    return None if value is None else str(value)


def _error(status: int, loc: list, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "detail": [{"loc": loc, "msg": message}]}, status_code=status)
