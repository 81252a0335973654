"""The coverage model fed by a contract run: each exchange the engine recorded, counted against the operations
the run selected and the statuses their spec documents."""

from __future__ import annotations

from typing import Any

from mock_server.coverage import Coverage, DocumentedOperation, body_fields

from .exchanges import exchanges
from .schemathesis_adapter import events


def documented_operation(api: str, operation: Any) -> DocumentedOperation:
    """One Schemathesis `APIOperation` as the coverage model's universe knows it (no examples: a run counts
    the statuses it was answered with, not the examples a server chose)."""
    raw = operation.definition.raw
    statuses = sorted(int(key) for key in raw.get("responses", {}) if str(key).isdigit())
    return DocumentedOperation(
        api=api,
        operation_id=raw.get("operationId", operation.label),
        method=operation.method.upper(),
        path=operation.path,
        statuses={status: () for status in statuses},
        query_parameters=tuple(parameter.name for parameter in operation.query),
    )


class RunCoverage:
    """Fed every engine event of a run (all passes), it counts every exchange into one `Coverage`."""

    def __init__(self, operations: list[DocumentedOperation]) -> None:
        self.coverage = Coverage(operations)
        self._keys = {operation.label: operation.key for operation in operations}

    def handle_event(self, event: events.EngineEvent) -> None:
        if not isinstance(event, events.ScenarioFinished):
            return
        for exchange in exchanges(event):
            key = self._keys.get(exchange.label)
            if key is None:
                continue  # an operation the run did not select (a stateful link can lead out of a filter)
            self.coverage.record(key, exchange.status, query=exchange.query, body=body_fields(exchange.body))
