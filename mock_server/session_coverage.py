"""The mock's coverage, per session: every answered request counted once, on the request path.

A session is the `X-Mock-Session` header (the default session without one), in every mode. Only the sessions
used most recently are kept, so a client that invents a session per request cannot grow the mock without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from mock_server.coverage import Coverage, CoverageReport, DocumentedOperation, body_fields
from mock_server.spec import Operation
from mock_server.state import DEFAULT_SESSION

MAX_SESSIONS = 256


class SessionCoverage:
    def __init__(self, universe: Sequence[DocumentedOperation], max_sessions: int = MAX_SESSIONS) -> None:
        self.universe = list(universe)
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, Coverage] = OrderedDict()

    def record(
        self,
        session: str | None,
        operation: Operation | None,
        status: int,
        *,
        example: str | None = None,
        query: Iterable[str] = (),
        body: Any = None,
    ) -> None:
        """One answered request (`query`: the names of its query parameters); `operation` None: the request named
        no operation of the spec."""
        coverage = self._of(session or DEFAULT_SESSION)
        if operation is None:
            coverage.record_outside(status)
            return
        coverage.record(
            (operation.api, operation.operation_id),
            status,
            example=example,
            query=query,
            body=body_fields(body),
        )

    def report(self, session: str | None) -> CoverageReport:
        """The session's coverage; a session that sent nothing yet has every cell untouched."""
        coverage = self._sessions.get(session or DEFAULT_SESSION)
        return (coverage or Coverage(self.universe)).report()

    def sessions(self) -> list[str]:
        return list(self._sessions)

    def _of(self, session: str) -> Coverage:
        coverage = self._sessions.get(session)
        if coverage is None:
            coverage = self._sessions[session] = Coverage(self.universe)
            if len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session)
        return coverage
