"""The served OpenAPI document, corrected to what the service really answers: every error body has one
shape (`ErrorBody`, as written by serving/guard.py), protected routes declare the bearer token and 401,
POST routes declare 413 and 415, and /readyz declares its 503.

It is valid OpenAPI 3.0 (the version BentoML declares): pydantic's 3.1 forms (`{"type": "null"}`,
`default: null`) are rewritten as 3.0's `nullable`, and BentoML's own description (emoji the YAML
readers of validators refuse as escapes) is replaced. The request and answer of POST /predict are
declared as the service checks them: a lead's fields with the served model's own names, numeric fields
taking numbers from -1e15 to 1e15 (as text: the encoder's own pattern, NUMBER_TEXT), and
the answer's ranges (probability 0..1, score 0..100, band hot/warm/cold), so a client generated from the
document reads every answer and a fuzzer can tell a wrong answer from a right one."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from features.context import ACTIVITIES_FIELD, computed_fields, context_fields
from features.encoder import MAX_NUMBER, NUMBER_TEXT, SPACE
from serving.questions_doc import describe_questions

FLOAT_MAX = 1.7976931348623157e308  # the largest 64-bit float: beyond it a number is refused (guard.py)
ERROR_BODY = {
    "type": "object", "required": ["error", "request_id", "detail"], "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "description": "what is wrong and what to do"},
        "request_id": {"type": "string", "description": "the id of the request in the service's log"},
        "detail": {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg"], "additionalProperties": False,
            "properties": {"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                                   "description": "where: field names and lead positions, never values"},
                           "msg": {"type": "string"}}}},
    },
}
NOT_JSON = {"/static/explainer.js": "text/javascript", "/favicon.ico": "image/svg+xml", "/livez": "text/plain",
            "/readyz": "text/plain", "/healthz": "text/plain", "/metrics": "text/plain", "/drivers": "text/html"}
OPERATION_IDS = {"/livez": "livez", "/readyz": "readyz", "/healthz": "healthz", "/metrics": "metrics",
                 "/predict": "predict", "/reload": "reload", "/model": "model_info", "/drivers": "drivers_page",
                 "/static/explainer.js": "explainer_script", "/favicon.ico": "favicon"}
REASONS = {400: "Malformed JSON, a number that is not finite, or a value of the wrong type",
           401: "Missing or wrong bearer token", 413: "Body larger than max_body_bytes",
           415: "Body not sent as application/json", 422: "A value the service cannot use (the field is named)",
           500: "Unexpected error (logged by request id, without the request's values)",
           503: "No model is served yet, or the service is starting",
           404: "Prometheus metrics are off (LEADSCORE_METRICS=1 turns them on)"}
DESCRIPTION = ("Lead-conversion scores with reasons: POST /predict scores up to 1,000 leads (probability, score "
               "0-100, band, SHAP reasons, next action and the rule score beside them). Bad input is a 4xx "
               "whose `detail` names the field, never a value that was sent.")


@dataclass(frozen=True)
class Served:
    """What the document says about the request and the answer; taken from the running service."""

    max_leads: int = 1000
    max_chars: int = 1000
    fields: dict[str, bool] = field(default_factory=dict)  # a lead's field names -> numeric (the served model's)
    placeholders: tuple[str, ...] = ()  # text a numeric field reads as missing (the spec's missing_values)
    activities: bool = False  # the model reads each lead's activities and as_of (features/context.py)
    activities_from_db: bool = False  # leads sent without activities get theirs from the loop database


def lead_value(max_chars: int) -> dict:
    return {"anyOf": [{"type": "string", "maxLength": max_chars, "nullable": True},
                      {"type": "number", "minimum": -FLOAT_MAX, "maximum": FLOAT_MAX, "nullable": True},
                      {"type": "boolean", "nullable": True}],
            "description": "text, a number, true or false; null when unknown"}


def _literal(text: str) -> str:
    """`text` as a regular expression matching itself, in the syntax Python's re and ECMA 262 share."""
    return "".join("\\" + c if c in "^$\\.*+?()[]{}|/" else c for c in text)


def number_value(placeholders: tuple[str, ...], max_chars: int) -> dict:
    blanks = "|".join(_literal(p) for p in placeholders if p and p == p.strip(SPACE))  # as the encoder compares
    return {"anyOf": [{"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER, "nullable": True},
                      {"type": "boolean", "nullable": True},
                      {"type": "string", "maxLength": max_chars, "pattern": NUMBER_TEXT, "nullable": True},
                      {"type": "string", "maxLength": max_chars, "nullable": True,
                       "pattern": f"^[ \\t\\n\\r]*({blanks})?[ \\t\\n\\r]*$"}],
            "description": "a number from -1e15 to 1e15; text holding a plain decimal (at most 15 digits before "
                           "the point, or one and an exponent up to 14) is read as that number, true/false as 1/0, "
                           "blank text or a missing-value placeholder as missing"}


TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, e.g. 2026-03-31T14:05:00Z (no zone: UTC)"}


def activities_schema(max_chars: int, from_db: bool = False) -> dict:
    where = ("left out or null: the service reads the lead's events from its activity table (`leadscore activities "
             "import`) by the lead's id field, those at or before `as_of`; if that table cannot be read, the rules "
             "answer (fallback_reason activities_unavailable)" if from_db else
             "left out: no activity (the service is not configured to read an activity table, `activities_from_db`)")
    return {"type": "array", "nullable": True, "description": (
        "the lead's activities (visits, emails, calls...); the service computes the engagement features from "
        f"them, as of `as_of`. Sent (even []): these are used; {where}"), "items": {
        "type": "object", "required": ["at", "type"], "properties": {
            "at": TIME, "type": {"type": "string", "maxLength": max_chars},
            "channel": {"type": "string", "maxLength": max_chars, "nullable": True}},
        "additionalProperties": lead_value(max_chars)}}  # other fields of the event: kept out of the features


def request_schema(served: Served) -> dict:
    numbers, text = number_value(served.placeholders, served.max_chars), lead_value(served.max_chars)
    lead = {"type": "object", "description": "a lead: CRM field -> value. Fields the model does not use are ignored "
                                             "and listed back in unknown_fields",
            "properties": {name: numbers if numeric else text for name, numeric in served.fields.items()},
            "additionalProperties": text}
    if served.activities:
        lead["properties"]["activities"] = activities_schema(served.max_chars, served.activities_from_db)
        lead["properties"]["as_of"] = {**TIME, "nullable": True, "description": (
            "the lead's prediction time: activities after it never count (left out: the time of the request)")}
    return {"type": "object", "required": ["leads"], "properties": {
        "leads": {"type": "array", "minItems": 1, "maxItems": min(served.max_leads, 1000), "items": lead},
        "lang": {"type": "string", "enum": ["en", "zh"], "default": "en",
                 "description": "language of reasons and actions"},
        "reasons": {"type": "integer", "minimum": 1, "maximum": 20,
                    "description": "top reasons per side (left out: the configured top_reasons, 3)"},
        "questions": {"type": "boolean",
                      "description": "true: each result carries `questions`, the unknown fields worth asking about, "
                                     "best first (left out: the service config's `questions`)"}}}


def _nullable(schema: dict) -> dict:
    """OpenAPI 3.0.3: a nullable enum lists null among its values."""
    return {**schema, "nullable": True, **({"enum": [*schema["enum"], None]} if "enum" in schema else {})}


BAND = {"type": "string", "enum": ["hot", "warm", "cold"]}
REASON = {"type": "object", "required": ["feature", "label", "value", "impact", "text"], "properties": {
    "feature": {"type": "string"}, "label": {"type": "string"},
    "value": {"nullable": True, "description": "the lead's value as sent (null: not sent)"},
    "impact": {"type": "number", "description": "score points"}, "text": {"type": "string"}}}
RULE_REASON = {"type": "object", "required": ["feature", "label", "value", "points", "text"], "properties": {
    "feature": {"type": "string"}, "label": {"type": "string"}, "value": {"nullable": True},
    "points": {"type": "number"}, "text": {"type": "string"}}}
RESULT = {
    "type": "object", "additionalProperties": False,
    "required": ["lead_id", "probability", "score", "band", "source", "model_version", "fallback_reason",
                 "base_score", "reasons", "action", "rule_score", "rule_reasons", "rule_note"],
    "properties": {
        "lead_id": {"type": "string", "nullable": True},
        "probability": {"type": "number", "minimum": 0, "maximum": 1, "nullable": True,
                        "description": "calibrated; null when the rules answered"},
        "score": {"type": "integer", "minimum": 0, "maximum": 100, "nullable": True},
        "band": _nullable(BAND),
        "source": {"type": "string", "enum": ["model", "rules"]},
        "model_version": {"type": "string", "nullable": True},
        "fallback_reason": _nullable({"type": "string", "enum": [
            "model_unavailable", "too_many_missing_features", "model_error", "activities_unavailable"]}),
        "base_score": {"type": "number", "minimum": 0, "maximum": 100, "nullable": True},
        "reasons": {"type": "object", "required": ["positive", "negative"], "additionalProperties": False,
                    "properties": {"positive": {"type": "array", "items": REASON},
                                   "negative": {"type": "array", "items": REASON}}},
        "action": {"type": "object", "nullable": True, "required": ["band", "text"], "properties": {
            "band": BAND, "channel": {"type": "string"}, "within_hours": {"type": "number", "nullable": True},
            "text": {"type": "string", "nullable": True}}},
        "rule_score": {"type": "number", "nullable": True},
        "rule_reasons": {"type": "array", "items": RULE_REASON},
        "rule_note": {"type": "string", "nullable": True},
        "percentile": {"type": "integer", "minimum": 0, "maximum": 100, "nullable": True,
                       "description": "the share of held-out leads (in %) scored lower; null when the rules answered"},
        "average_score": {"type": "number", "minimum": 0, "maximum": 100, "nullable": True,
                          "description": "the average lead's score, to read `score` against"},
        "band_note": {"type": "string", "nullable": True,
                      "description": "what the score and band mean, in the requested language"},
    },
}
ANSWER = {"type": "object", "required": ["request_id", "results", "unknown_fields"], "additionalProperties": False,
          "properties": {"request_id": {"type": "string"}, "results": {"type": "array", "items": RESULT},
                         "unknown_fields": {"type": "array", "items": {"type": "string"}}}}


def as_openapi30(schema):
    """pydantic's JSON Schema (2020-12) in OpenAPI 3.0's dialect: `{"type": "null"}` branches become
    `nullable`, `default: null` on a field that cannot be null goes, `const` becomes a one-value enum."""
    if isinstance(schema, list):
        return [as_openapi30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: as_openapi30(v) for k, v in schema.items()}
    for key in ("anyOf", "oneOf"):
        branches = out.get(key)
        if isinstance(branches, list) and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            del out[key]
            if len(rest) == 1:
                out = {**rest[0], **out}
                out["nullable"] = True
            else:
                out[key] = [{**b, "nullable": True} for b in rest]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "default" in out and out["default"] is None and not out.get("nullable"):
        del out["default"]
    return out


def correct(spec: dict, protected: tuple[str, ...], served: Served | None = None) -> dict:
    served = served or Served()
    spec = as_openapi30(spec)
    try:
        release = version("leadscore")
    except PackageNotFoundError:  # run from a source tree that was not installed
        release = "0+unknown"
    spec["info"] = {"title": "leadscore", "version": release, "description": DESCRIPTION}
    spec.setdefault("components", {})["schemas"] = {"ErrorBody": ERROR_BODY}  # the only one referred to
    spec["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = {k: v for k, v in operation.get("responses", {}).items() if not k.startswith(("4", "5"))}
            if path in OPERATION_IDS:
                operation["operationId"] = OPERATION_IDS[path]
            codes = [500]
            if method == "post":
                codes += [400, 413, 415, 422]
            if path.startswith(protected):
                codes.append(401)
                operation["security"] = [{"bearer": []}]
            if path in ("/readyz", "/predict", "/drivers"):
                codes.append(503)
            if path == "/metrics":
                codes.append(404)
            if path == "/drivers":
                codes.append(422)  # an unknown ?lang
            for code in sorted(set(codes)):
                responses[str(code)] = {"description": REASONS[code], "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
            # A request HTTP itself forbids (control bytes in a header) is refused by the server's HTTP
            # parser before the service sees it: a plain-text 400 on any route.
            responses["400"] = {"description": REASONS[400] if "400" in responses else "Malformed HTTP request",
                                "content": {**responses.get("400", {}).get("content", {}),
                                            "text/plain": {"schema": {"type": "string"}}}}
            if path in NOT_JSON and "200" in responses:  # a page, a script, an icon, plain text: not JSON
                responses["200"] = {"description": path, "content": {NOT_JSON[path]: {"schema": {"type": "string"}}}}
            if path == "/predict":
                operation["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": request_schema(served)}}}
                responses["200"] = {"description": "one result per lead, in order", "content": {
                    "application/json": {"schema": copy.deepcopy(ANSWER)}}}
            if path == "/reload" and "requestBody" in operation:
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "description": "send {}"}}}}
            operation["responses"] = responses
    describe_questions(spec)
    return spec


def served_now() -> Served:
    """The request limits and the lead fields of the model this worker serves (none while loading)."""
    import bentoml

    service = bentoml.get_current_service()
    config = service.config
    state = service.scorer.state if service.scorer is not None else None
    fields: dict[str, bool] = {}
    placeholders: tuple[str, ...] = ()
    activities = False
    if state is not None:
        encoder = state.model.pipeline.named_steps["encode"]
        computed = computed_fields(state.model.pipeline)  # the service makes them: not a client's to send
        for name, i in encoder.column_index_.items():  # safe and original names reach the same column
            if str(name) not in computed:
                fields[str(name)] = bool(encoder.is_numeric_[i])
        activities = ACTIVITIES_FIELD in context_fields(state.model.pipeline)
        placeholders = tuple(str(p) for p in encoder.missing_values or ())
    return Served(max_leads=config.max_leads, max_chars=config.max_string_chars, fields=fields,
                  placeholders=placeholders, activities=activities,
                  activities_from_db=activities and config.activities_from_db)


async def serve_corrected(app, scope, receive, send, protected: tuple[str, ...]) -> None:
    """Run the app for GET /docs.json and send its document corrected."""
    start: dict = {}
    chunks: list[bytes] = []

    async def hold(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, hold)
    body = b"".join(chunks)
    if start.get("status") == 200:
        # UTF-8, not \u escapes: readers built on YAML refuse escaped surrogate pairs.
        body = json.dumps(correct(json.loads(body), protected, served_now()), ensure_ascii=False).encode()
    headers = [h for h in start.get("headers", []) if h[0].lower() != b"content-length"]
    await send({"type": "http.response.start", "status": start.get("status", 500),
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
