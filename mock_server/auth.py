"""Bearer authentication: any non-empty token, or exactly the one given with `--token`."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from mock_server.errors import RequestError, Violation

CHALLENGE = (b"www-authenticate", b"Bearer")
_FIELD = "Authorization"


def _refused(message: str) -> RequestError:
    return RequestError(401, [Violation(_FIELD, message)], headers=[CHALLENGE])


class BearerAuth:
    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token is not None else None

    def check(self, authorization: Sequence[str]) -> None:
        """Returns when the request is authenticated; raises a 401 `RequestError` saying why it is not."""
        if not authorization:
            raise _refused("the Authorization header with a bearer token is required")
        scheme, _, token = authorization[-1].strip().partition(" ")
        if scheme.lower() != "bearer":
            raise _refused("the Authorization header must use the Bearer scheme: 'Bearer <token>'")
        token = token.strip()
        if not token:
            raise _refused("the bearer token is empty")
        if self._token is not None and not hmac.compare_digest(token.encode(), self._token):
            raise _refused("the bearer token is not accepted")
