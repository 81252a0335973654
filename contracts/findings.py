"""Violations found by a run, in the form we print and report: operation, check, expected vs seen, curl."""

from __future__ import annotations

from dataclasses import dataclass

from .redaction import Redactor
from .schemathesis_adapter import Failure, Statistic, events
from .semantic.failures import SemanticFailure

BODY_EXCERPT = 400


@dataclass(frozen=True)
class Finding:
    operation: str
    check: str
    title: str
    expected_vs_seen: str
    status: int | None
    body_excerpt: str
    curl: str
    # The reads a check of meaning made after the request above, and that contradict its answer.
    read_curls: tuple[str, ...] = ()


class CheckNames:
    """Remembers which check raised each failure (Schemathesis' statistics keep the failure, not the check)."""

    def __init__(self) -> None:
        self._names: dict[Failure, str] = {}

    def handle_event(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is not None:
                        self._names.setdefault(node.failure_info.failure, node.name)

    def name_of(self, failure: Failure) -> str:
        return self._names.get(failure, "after-run check")


def collect(statistic: Statistic, names: CheckNames, redact: Redactor) -> list[Finding]:
    found = []
    for label, groups in sorted(statistic.failures.items()):
        for group in groups.values():
            response = group.response
            body = ""
            if response is not None and response.content:
                body = response.content[:BODY_EXCERPT].decode("utf-8", "replace")
            for failure in group.failures:
                found.append(
                    Finding(
                        operation=failure.operation or label,
                        check=names.name_of(failure),
                        title=redact(failure.title),
                        expected_vs_seen=redact(failure.message.strip()),
                        status=response.status_code if response is not None else None,
                        body_excerpt=redact(body),
                        curl=redact.curl(group.code_sample or ""),
                        read_curls=tuple(
                            redact.curl(curl)
                            for curl in (failure.read_curls if isinstance(failure, SemanticFailure) else ())
                        ),
                    )
                )
    return found
