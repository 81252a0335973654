"""The exchanges of a run as the engine recorded them: each request really sent, with the answer it got.

Every count a run reports (requests sent, answers by status, the coverage matrix) is made from these, so the
figures agree with each other and with Schemathesis' own case counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mock_server.coverage import query_names

from .schemathesis_adapter import events


@dataclass(frozen=True)
class Exchange:
    label: str  # the operation, as Schemathesis names it ("POST /jobs")
    query: list[str]  # query parameter names, as sent
    body: Any  # the JSON body as sent (None when there was none, or it was not JSON)
    status: int | None  # None: no answer (timeout, lost connection)
    elapsed: float  # seconds until the answer


def exchanges(event: events.ScenarioFinished) -> Iterator[Exchange]:
    recorder = event.recorder
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        request, response = interaction.request, interaction.response
        yield Exchange(
            label=node.value.operation.label if node is not None else recorder.label,
            query=query_names(urlsplit(request.uri).query),
            body=_json(request.body),
            status=response.status_code if response is not None else None,
            elapsed=response.elapsed if response is not None else 0.0,
        )


def _json(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
