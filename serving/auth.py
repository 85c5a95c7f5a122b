"""Bearer-token check for the API: when a token is configured, /predict, /reload, /model and /drivers
need `Authorization: Bearer <token>`, and so does /metrics; health and docs stay open."""

from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qs

from serving.config import ServiceConfig, running_config

PROTECTED = ("/predict", "/reload", "/model", "/drivers", "/metrics")


def bearer_token(header: bytes) -> bytes | None:
    """The token of an `Authorization: Bearer <token>` header; the scheme matches in any case (RFC 9110
    11.1: auth schemes are case-insensitive), and one or more spaces may follow it."""
    scheme, _, token = header.strip(b" ").partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    return token.strip(b" ") or None


class BearerAuth:
    """Plain ASGI middleware (no body buffering, so it costs nothing on the hot path).

    The token is the `api_token` of the service's own ServiceConfig, taken once on the first HTTP
    request (serving/config.py `running_config`); `config` is for an app without the service.
    """

    def __init__(self, app, config: ServiceConfig | None = None):
        self.app = app
        self.config = config
        self._expected: bytes | None = None
        self._resolved = False

    def expected(self) -> bytes | None:
        """The configured token, or None when none is configured (then nothing is protected)."""
        if not self._resolved:  # no await inside: concurrent first requests cannot interleave here
            config = self.config or running_config()
            self._expected = config.api_token.encode() if config.api_token else None
            self._resolved = True
        return self._expected

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED) or self.expected() is None:
            return await self.app(scope, receive, send)
        header = dict(scope["headers"]).get(b"authorization", b"")
        given = bearer_token(header)
        if scope["path"].startswith("/drivers") and not header:
            # A browser cannot send a header when opening a page: /drivers?token=... is accepted there.
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = query.get("token", [""])[0].encode("utf-8", "surrogateescape")
        # Constant time in the token's content (hmac): a wrong scheme or no token compares an empty one.
        if hmac.compare_digest(given or b"", self.expected()):
            return await self.app(scope, receive, send)
        body = json.dumps({"error": "unauthorized",
                           "detail": [{"loc": ["header", "Authorization"],
                                       "msg": "send 'Authorization: Bearer <token>' with the configured API token"}]})
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body.encode()})
