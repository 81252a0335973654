"""What the proxy found: each violating exchange (newest first, bounded) and a tally per operation and direction."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mock_server.errors import Violation
from mock_server.spec import Api

DIRECTIONS = ("request", "response")
NOT_IN_SPEC = "(no operation in the spec)"
MAX_KEPT = 1000  # violating exchanges kept for /__mock/violations and violations.json
MAX_DISTINCT = 50  # distinct violations listed per operation and direction


@dataclass(frozen=True)
class Finding:
    """One exchange that violated the spec; every text in it is already redacted."""

    at: str  # ISO 8601, UTC
    api: str
    operation: str
    method: str
    path: str  # path and query as sent
    status: int | None  # the answer's status (None: the upstream gave none)
    request: tuple[Violation, ...]
    response: tuple[Violation, ...]
    curl: str

    @property
    def count(self) -> int:
        return len(self.request) + len(self.response)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "api": self.api,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "violations": [
                {"direction": direction, "field": violation.field, "message": violation.message}
                for direction, violations in (("request", self.request), ("response", self.response))
                for violation in violations
            ],
            "curl": self.curl,
        }


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Tally:
    """One operation in one direction: how many exchanges were checked, how many failed, and why."""

    checked: int = 0
    failed: int = 0
    distinct: dict[str, int] = field(default_factory=dict)  # "field: message" -> times seen

    def add(self, violations: tuple[Violation, ...]) -> None:
        self.checked += 1
        if violations:
            self.failed += 1
        for violation in violations:
            text = f"{violation.field}: {violation.message}" if violation.field else violation.message
            if text in self.distinct or len(self.distinct) < MAX_DISTINCT:
                self.distinct[text] = self.distinct.get(text, 0) + 1


class Findings:
    """Thread-safe: reports are written from a worker thread while requests keep coming."""

    def __init__(self, apis: list[Api], kept: int = MAX_KEPT) -> None:
        self.apis = apis
        self._lock = threading.Lock()
        self._recent: deque[Finding] = deque(maxlen=kept)
        self._tallies: dict[tuple[str, str, str], Tally] = {}
        self.exchanges = 0
        self.violating = 0

    def add(self, finding: Finding, response_checked: bool) -> None:
        """A violating exchange; `response_checked` is False when no response was validated (refused by
        `--errors`, or the upstream gave none)."""
        with self._lock:
            self._tally(finding.api, finding.operation, finding.request, finding.response, response_checked)
            self.violating += 1
            self._recent.appendleft(finding)

    def add_clean(self, api: str, operation: str, response_checked: bool) -> None:
        """An exchange that broke nothing, so the tallies count it."""
        with self._lock:
            self._tally(api, operation, (), (), response_checked)

    def _tally(
        self,
        api: str,
        operation: str,
        request: tuple[Violation, ...],
        response: tuple[Violation, ...],
        response_checked: bool,
    ) -> None:
        self.exchanges += 1
        self._tallies.setdefault((api, operation, "request"), Tally()).add(request)
        if response_checked:
            self._tallies.setdefault((api, operation, "response"), Tally()).add(response)

    def recent(self, limit: int | None = None) -> list[Finding]:
        with self._lock:
            return list(self._recent)[:limit]

    def tallies(self) -> dict[str, list[tuple[str, str, Tally | None]]]:
        """Per API: (operation, direction, tally) for every operation of the spec in both directions (None: no
        traffic), then whatever traffic matched no operation."""
        with self._lock:
            found: dict[str, list[tuple[str, str, Tally | None]]] = {}
            for api in self.apis:
                rows: list[tuple[str, str, Tally | None]] = [
                    (operation.operation_id, direction, self._copy(api.name, operation.operation_id, direction))
                    for operation in api.operations
                    for direction in DIRECTIONS
                ]
                rows += [
                    (NOT_IN_SPEC, direction, tally)
                    for direction in DIRECTIONS
                    if (tally := self._copy(api.name, NOT_IN_SPEC, direction)) is not None
                ]
                found[api.name] = rows
            return found

    def _copy(self, api: str, operation: str, direction: str) -> Tally | None:
        tally = self._tallies.get((api, operation, direction))
        return None if tally is None else Tally(tally.checked, tally.failed, dict(tally.distinct))
