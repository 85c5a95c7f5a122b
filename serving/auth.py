"""Bearer-token check for the API: when a token is configured, /predict, /reload, /model and /drivers
need `Authorization: Bearer <token>`, and so does /metrics; health and docs stay open."""

from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qs

PROTECTED = ("/predict", "/reload", "/model", "/drivers", "/metrics")


class BearerAuth:
    """Plain ASGI middleware (no body buffering, so it costs nothing on the hot path)."""

    def __init__(self, app, token: str | None = None):
        from serving.config import ServiceConfig

        self.app = app
        token = token if token is not None else ServiceConfig.from_env().api_token  # read when the app is built
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope, receive, send):
        if self.expected is None or scope["type"] != "http" or not scope["path"].startswith(PROTECTED):
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"authorization", b"")
        if scope["path"].startswith("/drivers") and not given:
            # A browser cannot send a header when opening a page: /drivers?token=... is accepted there.
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = f"Bearer {query.get('token', [''])[0]}".encode()
        if hmac.compare_digest(given, self.expected):
            return await self.app(scope, receive, send)
        body = json.dumps({"error": "unauthorized",
                           "detail": [{"loc": ["header", "Authorization"],
                                       "msg": "send 'Authorization: Bearer <token>' with the configured API token"}]})
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body.encode()})
