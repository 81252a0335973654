"""Who may use the control endpoints (`/__mock/*`: reset, journal, sessions, advance; the proxy's violations and
report), in every mode:

- With `--token`, every control request needs that bearer token, as the APIs do (401 otherwise). Without
  one they stay open, as the mock listens on loopback by default.
- A browser names the page that sends a request in `Origin` (on every cross-origin request and every POST);
  clients such as curl or a test suite send none. A control request that changes state (any method but GET
  and HEAD) with an `Origin` is refused (403) unless that origin is listed with `--cors-origin`: the default
  `*` lets any page read the APIs, never wipe or advance the mock. Its preflight is refused the same way, so
  the browser does not send it. A control request that only reads is refused from an origin CORS does not
  allow.

A web page can send a POST without a preflight (a form, `fetch` with `mode: "no-cors"`), so the check is on
the request itself; the refusal of the preflight only tells the browser early.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.auth import BearerAuth
from mock_server.error_formats import ErrorFormat, error_reply
from mock_server.errors import RequestError, Violation
from mock_server.wire import Reply, Request, send_reply

CONTROL_PREFIX = "/__mock"
_READING = frozenset({"GET", "HEAD"})
_FIELD = "Origin"


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


class ControlAccess:
    def __init__(self, token: str | None, cors_origins: tuple[str, ...], errors: ErrorFormat) -> None:
        self._auth = BearerAuth(token) if token is not None else None
        self._listed = frozenset(origin for origin in cors_origins if origin != "*")
        self._any_may_read = "*" in cors_origins
        self._errors = errors

    def _origin_refusal(self, origin: str | None, method: str) -> RequestError | None:
        if origin is None or origin in self._listed:
            return None
        if method not in _READING:
            message = (
                f"a control request that changes state is not accepted from origin {origin!r}: "
                "start the mock with --cors-origin for it (the default '*' lets pages read, not change)"
            )
        elif self._any_may_read:
            return None
        else:
            message = f"origin {origin!r} is not one the mock's --cors-origin allows"
        return RequestError(403, [Violation(_FIELD, message)])

    def refusal(self, request: Request) -> Reply | None:
        """Why a control request is refused, as its reply; None when it may go on."""
        refused = self._origin_refusal(request.last_header("origin"), request.method)
        if refused is None and self._auth is not None:
            try:
                self._auth.check(request.header("authorization"))
            except RequestError as error:
                refused = error
        return error_reply(self._errors, refused) if refused is not None else None

    def preflight_refusal(self, scope: Scope) -> Reply | None:
        """The refusal of a CORS preflight for a control request its origin may not send; None for any other."""
        if scope["type"] != "http" or scope["method"] != "OPTIONS" or not is_control_path(scope["path"]):
            return None
        request = Request(scope)
        method = request.last_header("access-control-request-method")
        if method is None:
            return None
        refused = self._origin_refusal(request.last_header("origin"), method.strip().upper())
        return error_reply(self._errors, refused) if refused is not None else None


class ControlGuard:
    """The middleware, just inside CORS (its refusals carry CORS headers like every answer of the mock)."""

    def __init__(self, app: ASGIApp, *, access: ControlAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_control_path(scope["path"]):
            refusal = self.access.refusal(Request(scope))
            if refusal is not None:
                await send_reply(send, refusal)
                return
        await self.app(scope, receive, send)
