"""The served OpenAPI document, corrected to what the service really answers: every error body has one
shape (`ErrorBody`, as written by serving/guard.py), protected routes declare the bearer token and 401,
POST routes declare 413 and 415, and /readyz declares its 503."""

from __future__ import annotations

import json

from serving.questions_doc import describe_questions

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
NOT_JSON = {"/static/explainer.js": "text/javascript", "/favicon.ico": "image/svg+xml"}
REASONS = {400: "Malformed JSON, a number that is not finite, or a value of the wrong type",
           401: "Missing or wrong bearer token", 413: "Body larger than max_body_bytes",
           415: "Body not sent as application/json", 422: "A value the service cannot use (the field is named)",
           500: "Unexpected error (logged by request id, without the request's values)",
           503: "No model is served yet, or the service is starting",
           404: "Prometheus metrics are off (LEADSCORE_METRICS=1 turns them on)"}


def correct(spec: dict, protected: tuple[str, ...]) -> dict:
    spec.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = ERROR_BODY
    spec["components"].setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = {k: v for k, v in operation.get("responses", {}).items() if not k.startswith(("4", "5"))}
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
            if path in NOT_JSON and "200" in responses:  # a script and an icon, not JSON
                responses["200"] = {"description": path, "content": {NOT_JSON[path]: {"schema": {"type": "string"}}}}
            operation["responses"] = responses
    describe_questions(spec)
    return spec


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
        body = json.dumps(correct(json.loads(body), protected)).encode()
    headers = [h for h in start.get("headers", []) if h[0].lower() != b"content-length"]
    await send({"type": "http.response.start", "status": start.get("status", 500),
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
