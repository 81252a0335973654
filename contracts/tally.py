"""What a run really tested, per operation: the answers it got, and whether any of them came from the API itself.

An answer proves nothing about an operation when the request never reached it: credentials refused (401, 403),
a route missed (405; 404 where the path names no resource that could be missing), a timeout or a lost
connection. An operation with no other answer was never exercised, and a run that passes over it says so
(exit code 2) instead of calling the API conformant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .exchanges import exchanges
from .schemathesis_adapter import events, network_failure

REFUSED = frozenset({401, 403})
METHOD_MISS = 405
NOT_FOUND = 404


@dataclass
class OperationTally:
    label: str  # "POST /jobs", as Schemathesis and our findings name it
    operation_id: str
    # A 404 is the API's own answer when the path names a resource (`/jobs/{jobId}`) and the spec documents 404.
    may_be_not_found: bool
    statuses: Counter[int] = field(default_factory=Counter)
    unanswered: int = 0
    seconds: float = 0.0

    @property
    def method(self) -> str:
        return self.label.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.label.split(" ", 1)[1]

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.unanswered

    @property
    def exercised(self) -> bool:
        return any(self.reached_the_api(status) for status in self.statuses)

    def reached_the_api(self, status: int) -> bool:
        if status in REFUSED or status == METHOD_MISS:
            return False
        return status != NOT_FOUND or self.may_be_not_found


@dataclass(frozen=True)
class Unanswered:
    """Requests that got no answer at all, by kind, with the operations they were meant for."""

    timeouts: Counter[str] = field(default_factory=Counter)
    connection_errors: Counter[str] = field(default_factory=Counter)


def answers_by_class(tallies: Iterable[OperationTally]) -> dict[str, int]:
    """Answers by status class ("2xx", "4xx", ...), in order."""
    classes: Counter[str] = Counter()
    for tally in tallies:
        for status, count in tally.statuses.items():
            classes[f"{status // 100}xx"] += count
    return dict(sorted(classes.items()))


def why_not_exercised(
    tallies: list[OperationTally], unanswered: Unanswered, *, base_path: str, request_timeout: float
) -> str:
    """One sentence naming the cause and the fix, for the operations a run never exercised."""
    statuses: Counter[int] = Counter()
    for tally in tallies:
        statuses.update(tally.statuses)
    answered = sum(statuses.values())
    timeouts, connection_errors = sum(unanswered.timeouts.values()), sum(unanswered.connection_errors.values())
    # 405s answer the methods the spec does not document, which every run sends: they say nothing of the cause.
    seen = set(statuses) - {METHOD_MISS}
    if seen and seen <= REFUSED:
        codes = "/".join(str(code) for code in sorted(seen))
        return f"every request was refused with {codes}: is the token right? (`--token` or `$JOBS_CONTRACT_TOKEN`)"
    if seen == {NOT_FOUND}:
        where = f"the base path (…{base_path})" if base_path else "the API's root (no base path)"
        return f"every request got {NOT_FOUND}: does --url include {where}?"
    if timeouts:
        return (
            f"{timeouts} request(s) timed out: the server did not answer within {request_timeout:g} s"
            " (`--request-timeout`)"
        )
    if connection_errors:
        return f"{connection_errors} request(s) lost their connection: is the server up, and is --url right?"
    if not answered:
        return "no request got an answer within the time budget: is the server answering, and is --max-time enough?"
    answers = ", ".join(f"{count} × {status}" for status, count in sorted(statuses.items()))
    return f"no answer came from the API itself (seen: {answers}): are --url and the token right?"


class RunTally:
    """Fed every engine event of a run, it keeps an `OperationTally` per selected operation."""

    def __init__(self, operations: list[OperationTally]) -> None:
        self.operations = operations
        self._by_label = {operation.label: operation for operation in operations}
        self.unanswered = Unanswered()

    def handle_event(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished):
            for exchange in exchanges(event):
                tally = self._by_label.get(exchange.label)
                if tally is None:
                    continue
                if exchange.status is None:
                    tally.unanswered += 1
                else:
                    tally.statuses[exchange.status] += 1
                    tally.seconds += exchange.elapsed
        elif isinstance(event, events.NonFatalError):
            kind = network_failure(event.value)
            if kind == "timeout":
                self.unanswered.timeouts[event.label] += 1
            elif kind == "connection":
                self.unanswered.connection_errors[event.label] += 1
