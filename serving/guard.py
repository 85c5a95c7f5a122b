"""The request guard: every HTTP request gets an id, a log line without values, and strict input rules.

Before the service sees a POST body it must be JSON (else 415), at most `max_body_bytes` (else 413),
parse as JSON with finite numbers only (NaN, Infinity, 1e400 and integers beyond a float: 400, naming the
field) and hold no string or key longer than `max_string_chars` (422). Error bodies from the framework are
rewritten into the service's one error shape: the field, what it takes and what to send, never the values
that were sent. An unexpected exception becomes a plain 500 whose log line names the exception type only.
The log line of a request carries its id, method, route, status, time and, for errors, the names of the
fields at fault and the error's message: never a value from the body.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from http import HTTPStatus

log = logging.getLogger("bentoml.leadscore.access")  # under "bentoml": printed by the server's own handlers
REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
JSON_TYPES = (b"application/json", b"application/problem+json")
NAME_CHARS = 64  # field names in logs and error locations are cut to this length


class BadInput(Exception):
    def __init__(self, status: int, message: str, loc: list | None = None):
        super().__init__(message)
        self.status, self.message, self.loc = status, message, loc or ["body"]


class RequestGuard:
    """Plain ASGI middleware in front of the BentoML app. Its limits come from the service's own
    ServiceConfig, taken on the first HTTP request (serving/config.py `running_config`), unless given."""

    def __init__(self, app, max_body_bytes: int | None = None, max_string_chars: int | None = None):
        self.app = app
        self.max_body, self.max_chars = max_body_bytes, max_string_chars

    def _take_limits(self) -> None:
        if self.max_body is None or self.max_chars is None:  # no await inside: requests cannot interleave
            from serving.config import running_config

            config = running_config()
            self.max_body = self.max_body or config.max_body_bytes
            self.max_chars = self.max_chars or config.max_string_chars

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self._take_limits()
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"")
        request_id = given.decode() if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope["headers"] = [h for h in scope["headers"] if h[0] != b"x-request-id"] + [
            (b"x-request-id", request_id.encode())]
        state = {"status": 500, "fields": [], "started": False}
        started = time.perf_counter()
        reply = _Reply(send, request_id, state)
        try:
            if scope["method"] == "POST":
                body = await self._read_checked(headers, receive)
                receive = _replay(body)
            if scope["path"] == "/docs.json":
                from serving.auth import PROTECTED
                from serving.openapi import serve_corrected

                return await serve_corrected(self.app, scope, receive, reply, PROTECTED)
            await self.app(scope, receive, reply)
        except BadInput as exc:
            await reply.error(exc.status, exc.message, exc.loc)
        except Exception as exc:  # a bug, never the caller's data: its type only reaches the log
            log.error("request %s %s %s raised %s", request_id, scope["method"], scope["path"], type(exc).__name__)
            if not state["started"]:
                await reply.error(500, "internal error; the server log names it by this request id", [])
        finally:
            fields = ",".join(state["fields"])
            # Error messages are built without the values sent (see _reshape), so they may be logged.
            log.info("request %s %s %s %s %.1fms%s%s", request_id, scope["method"], scope["path"], state["status"],
                     (time.perf_counter() - started) * 1000, f" fields={fields}" if fields else "",
                     f" error={state['message']!r}" if state.get("message") else "")

    async def _read_checked(self, headers: dict, receive) -> bytes:
        declared = headers.get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise BadInput(413, self._too_large())
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadInput(400, "the client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BadInput(413, self._too_large())
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not body.strip():
            return body
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind not in JSON_TYPES:
            raise BadInput(415, "send the body as JSON with 'Content-Type: application/json'",
                           ["header", "Content-Type"])
        self._check_json(body)
        return body

    def _too_large(self) -> str:
        return f"body larger than {self.max_body} bytes (max_body_bytes); send fewer leads per request"

    def _check_json(self, body: bytes) -> None:
        try:
            value = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_float_int)
        except (ValueError, RecursionError):  # not JSON, bad UTF-8, too deep: say where, never what
            raise BadInput(400, "the body is not valid JSON; send a JSON object such as {\"leads\": [{...}]}") from None
        self._check_values(value, [])

    def _check_values(self, value, loc: list) -> None:
        """Text and names within max_string_chars, numbers finite: the first fault is named by its field."""
        stack = [(value, loc)]
        while stack:
            value, loc = stack.pop()
            if isinstance(value, _Refused):
                raise BadInput(400, f"{_where(loc)}: {value.why}", loc)
            if isinstance(value, str) and len(value) > self.max_chars:
                raise BadInput(422, f"{_where(loc)}: expected text of at most {self.max_chars} characters "
                                    "(max_string_chars); send a shorter text", loc)
            if isinstance(value, dict):
                for key, item in value.items():
                    if len(key) > self.max_chars:
                        raise BadInput(422, f"{_where(loc)}: expected field names of at most {self.max_chars} "
                                            "characters (max_string_chars); send the CRM's own field names", loc)
                    stack.append((item, [*loc, key[:NAME_CHARS]]))
            elif isinstance(value, list):
                stack.extend((item, [*loc, i]) for i, item in enumerate(value))


class _Reply:
    """The `send` given to the app: adds the request id header, rewrites error bodies into one shape."""

    def __init__(self, send, request_id: str, state: dict):
        self.send, self.request_id, self.state = send, request_id, state
        self.held: dict | None = None  # the start of an error response, waiting for its body

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.state["status"] = message["status"]
            message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", self.request_id.encode())]}
            if message["status"] >= 400:
                self.held, self.chunks = message, []
                return
            self.state["started"] = True
            return await self.send(message)
        if self.held is not None and message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            held, self.held = self.held, None
            message, loc = _reshape(held["status"], b"".join(self.chunks))
            return await self.error(held["status"], message, loc, headers=held["headers"])
        return await self.send(message)

    async def error(self, status: int, message: str, loc: list | None, headers: list | None = None) -> None:
        detail = [{"loc": [str(p)[:NAME_CHARS] if isinstance(p, str) else p for p in loc], "msg": message}] \
            if loc else []
        self.state["fields"] = [".".join(str(p) for p in d["loc"]) for d in detail]
        self.state["message"] = message
        body = json.dumps({"error": message, "request_id": self.request_id, "detail": detail}).encode()
        kept = [h for h in (headers or [(b"x-request-id", self.request_id.encode())])
                if h[0].lower() not in (b"content-type", b"content-length")]
        self.state["status"], self.state["started"] = status, True
        await self.send({"type": "http.response.start", "status": status,
                         "headers": [*kept, (b"content-type", b"application/json"),
                                     (b"content-length", str(len(body)).encode())]})
        await self.send({"type": "http.response.body", "body": body})


# What each field of a request body takes and what to send, for messages that never quote the value sent.
EXPECTED = {
    "body": "expected a JSON object; send {\"leads\": [{CRM field: value, ...}]} to /predict, {} to /reload",
    "leads": "expected a list of 1 to 1,000 leads; send {\"leads\": [{CRM field: value, ...}]}",
    "lead": "expected an object of CRM field -> value; send {\"website_visits\": 6, \"need\": \"high\", ...}",
    "value": "expected text, a number, true or false; send one of these, or null when it is unknown",
    "lang": "expected 'en' or 'zh'; send one of them or leave the field out (English)",
    "reasons": "expected a whole number from 1 to 20; send one or leave the field out (the configured default)",
}


def _reshape(status: int, body: bytes) -> tuple[str, list]:
    """The framework's error body as (message, loc), without any value that was sent."""
    fallback = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "request rejected"
    try:
        data = json.loads(body)
    except ValueError:
        return fallback, []
    if isinstance(data, list) and data:  # BentoML answers some errors as a one-item array
        data = data[0]
    if not isinstance(data, dict):
        return fallback, []
    detail = data.get("detail")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):  # pydantic's errors, input left out
        first = detail[0]
        loc = [p[:NAME_CHARS] if isinstance(p, str) else p for p in first.get("loc", []) if p != "body"]
        if "type" not in first:  # the service's own message: it names the field and what to send, no value
            return str(first.get("msg", fallback))[:500], loc or ["body"]
        if loc[:1] == ["leads"]:
            loc = loc[:3]  # past the lead's field come pydantic's union branch tags ("str", "int"), not fields
        if not loc:
            kind = "body"
        elif loc[0] == "leads":
            kind = ("leads", "lead", "value")[len(loc) - 1]
        else:
            kind = str(loc[0])
        expected = EXPECTED.get(kind) or f"{str(first.get('msg', 'a value of another type'))[:200]}; send that"
        if first.get("type") == "missing":
            expected = f"required; {expected}"
        return f"{_where(loc)}: {expected}", loc or ["body"]
    # Other framework errors carry no field; their text is not shown, as it may quote what was sent.
    return fallback, []


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class _Refused:
    """Stands in for a number JSON or a 64-bit float cannot hold, so the walk over the parsed body names
    the field it was sent in (json.loads' hooks do not know where they are)."""

    __slots__ = ("why",)

    def __init__(self, why: str):
        self.why = why


NOT_FINITE = _Refused("expected a finite number (NaN and Infinity are not numbers JSON allows); send a finite "
                      "number, or in a lead null when the value is unknown")
TOO_LARGE = _Refused("expected a number a 64-bit float holds (at most about 1.8e308 either way); send a smaller "
                     "number, or in a lead null when the value is unknown")


def _where(loc: list) -> str:
    """A field's location as people read it: leads[0].website_visits."""
    if not loc:
        return "body"
    text = str(loc[0])
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _no_constant(name: str) -> _Refused:
    return NOT_FINITE


def _finite_float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else TOO_LARGE


def _float_int(text: str) -> int | _Refused:
    if len(text) > 400:  # int() of thousands of digits is slow, and no such number fits a float
        return TOO_LARGE
    value = int(text)
    try:
        float(value)
    except OverflowError:
        return TOO_LARGE
    return value
