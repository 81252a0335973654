"""Bearer authentication: any non-empty token, or exactly the one given with `--token`."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from mock_server.errors import Violation

CHALLENGE = (b"www-authenticate", b"Bearer")
_FIELD = "Authorization"


class BearerAuth:
    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token is not None else None

    def check(self, authorization: Sequence[str]) -> Violation | None:
        """None when the request is authenticated; otherwise why it is not."""
        if not authorization:
            return Violation(_FIELD, "the Authorization header with a bearer token is required")
        scheme, _, token = authorization[-1].strip().partition(" ")
        if scheme.lower() != "bearer":
            return Violation(_FIELD, "the Authorization header must use the Bearer scheme: 'Bearer <token>'")
        token = token.strip()
        if not token:
            return Violation(_FIELD, "the bearer token is empty")
        if self._token is not None and not hmac.compare_digest(token.encode(), self._token):
            return Violation(_FIELD, "the bearer token is not accepted")
        return None
