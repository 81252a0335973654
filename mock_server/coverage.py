"""What a set of exchanges exercised of a spec: answers per operation × documented status (× named example),
statuses the spec does not document, and the query parameters and body fields requests carried.

One model for every place that sees real exchanges: the mock and its proxy count what they answered, a contract
run counts what Schemathesis sent and got back. The universe (operations, documented statuses, examples) comes
from the spec; the counts only from exchanges that happened. Standard library only, so that `contracts` can
import it without the server.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from mock_server.spec import Api

# A client can send any names; beyond these many distinct ones per operation the rest are only counted.
MAX_NAMES = 64
OperationKey = tuple[str, str]  # (API name, operationId)


@dataclass(frozen=True)
class DocumentedOperation:
    """One operation as its spec documents it: the cells of the coverage matrix it owns."""

    api: str
    operation_id: str
    method: str
    path: str  # as written in the spec
    # Documented status -> its named examples in spec order (empty where none are documented or none matter).
    statuses: Mapping[int, tuple[str, ...]]
    query_parameters: tuple[str, ...] = ()

    @property
    def key(self) -> OperationKey:
        return (self.api, self.operation_id)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def documented_operations(apis: Iterable[Api]) -> list[DocumentedOperation]:
    """The universe of the mock's loaded APIs (recorded examples merged in, as the mock serves them)."""
    return [
        DocumentedOperation(
            api=operation.api,
            operation_id=operation.operation_id,
            method=operation.method,
            path=operation.path,
            statuses={status: tuple(response.examples) for status, response in operation.responses.items()},
            query_parameters=tuple(p.name for p in operation.parameters if p.location == "query"),
        )
        for api in apis
        for operation in api.operations
    ]


def query_names(query_string: str) -> list[str]:
    """The distinct parameter names of a raw query string, in order."""
    return list(dict.fromkeys(name for name, _ in parse_qsl(query_string, keep_blank_values=True)))


def body_fields(body: Any) -> list[str]:
    """The top-level members of a JSON object body; nothing for any other body."""
    return [str(name) for name in body] if isinstance(body, dict) else []


@dataclass
class _Carried:
    """Names requests carried, with how many requests carried each (bounded in distinct names)."""

    counts: Counter[str] = field(default_factory=Counter)
    others: int = 0  # requests that carried a name beyond MAX_NAMES distinct ones

    def add(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self.counts or len(self.counts) < MAX_NAMES:
                self.counts[name] += 1
            else:
                self.others += 1


@dataclass
class _OperationCounts:
    answers: Counter[tuple[int, str | None]] = field(default_factory=Counter)  # (status, example) -> exchanges
    unanswered: int = 0
    query: _Carried = field(default_factory=_Carried)
    body: _Carried = field(default_factory=_Carried)


class Coverage:
    """Counts exchanges against a universe of documented operations.

    Not locked: every caller records from one thread (the mock's event loop; the runner's loop over the engine's
    events).
    """

    def __init__(self, universe: Sequence[DocumentedOperation]) -> None:
        self.universe = list(universe)
        self._counts: dict[OperationKey, _OperationCounts] = {op.key: _OperationCounts() for op in self.universe}
        self.outside: Counter[int] = Counter()  # answers to requests for no documented operation, by status

    def record(
        self,
        key: OperationKey,
        status: int | None,
        *,
        example: str | None = None,
        query: Iterable[str] = (),
        body: Iterable[str] = (),
    ) -> None:
        """One exchange of the operation `key`: answered with `status` (None: no answer) and `example`."""
        counts = self._counts.get(key)
        if counts is None:
            if status is not None:
                self.outside[status] += 1
            return
        if status is None:
            counts.unanswered += 1
        else:
            counts.answers[(status, example)] += 1
        counts.query.add(query)
        counts.body.add(body)

    def record_outside(self, status: int) -> None:
        """An answer to a request that names no operation of the spec (unknown path, undocumented method)."""
        self.outside[status] += 1

    def report(self) -> CoverageReport:
        return CoverageReport(
            [_row(op, self._counts[op.key]) for op in self.universe], dict(sorted(self.outside.items()))
        )


@dataclass(frozen=True)
class Cell:
    """One documented status of one operation."""

    status: int
    count: int
    examples: dict[str, int]  # each documented example -> exchanges answered with it (0: never served)
    other: int  # answered with this status but no named example (generated data, the state engine, an error)

    @property
    def exercised(self) -> bool:
        return self.count > 0


@dataclass(frozen=True)
class OperationRow:
    operation: DocumentedOperation
    cells: list[Cell]
    undocumented: dict[int, int]  # status the spec does not document -> exchanges answered with it
    unanswered: int
    query: dict[str, int]  # query parameter -> requests that carried it (documented ones first, 0 if never)
    body: dict[str, int]  # top-level body field -> requests that carried it
    others_carried: int

    @property
    def exchanges(self) -> int:
        return sum(cell.count for cell in self.cells) + sum(self.undocumented.values()) + self.unanswered

    @property
    def missed(self) -> list[int]:
        return [cell.status for cell in self.cells if not cell.exercised]

    def cell(self, status: int) -> Cell | None:
        return next((cell for cell in self.cells if cell.status == status), None)


def _row(operation: DocumentedOperation, counts: _OperationCounts) -> OperationRow:
    by_status: dict[int, Counter[str | None]] = {}
    for (status, example), count in counts.answers.items():
        by_status.setdefault(status, Counter())[example] += count
    cells = []
    for status, examples in operation.statuses.items():
        seen = by_status.get(status, Counter())
        named = {name: seen.get(name, 0) for name in examples}
        cells.append(Cell(status, sum(seen.values()), named, sum(seen.values()) - sum(named.values())))
    undocumented = {
        status: sum(seen.values()) for status, seen in sorted(by_status.items()) if status not in operation.statuses
    }
    query = {name: counts.query.counts.get(name, 0) for name in operation.query_parameters}
    query.update(sorted((name, n) for name, n in counts.query.counts.items() if name not in query))
    return OperationRow(
        operation=operation,
        cells=cells,
        undocumented=undocumented,
        unanswered=counts.unanswered,
        query=query,
        body=dict(sorted(counts.body.counts.items())),
        others_carried=counts.query.others + counts.body.others,
    )


@dataclass(frozen=True)
class CoverageReport:
    rows: list[OperationRow]
    outside: dict[int, int]  # answers to requests for no operation of the spec, by status

    @property
    def pairs(self) -> int:
        """Documented operation × status pairs."""
        return sum(len(row.cells) for row in self.rows)

    @property
    def exercised_pairs(self) -> int:
        return sum(cell.exercised for row in self.rows for cell in row.cells)

    @property
    def percent(self) -> float:
        return 100.0 * self.exercised_pairs / self.pairs if self.pairs else 100.0

    @property
    def missed(self) -> list[str]:
        """Every documented pair no exchange exercised: "getJob (GET /jobs/{jobId}) 404"."""
        return [
            f"{row.operation.operation_id} ({row.operation.label}) {status}"
            for row in self.rows
            for status in row.missed
        ]

    @property
    def exchanges(self) -> int:
        return sum(row.exchanges for row in self.rows) + sum(self.outside.values())

    @property
    def apis(self) -> list[str]:
        return list(dict.fromkeys(row.operation.api for row in self.rows))

    def statuses_of(self, api: str) -> list[int]:
        """The matrix's columns for one API: every status documented for, or answered by, any of its operations."""
        found = {
            status
            for row in self.rows
            if row.operation.api == api
            for status in (*(cell.status for cell in row.cells), *row.undocumented)
        }
        return sorted(found)

    def max_count(self) -> int:
        counts = [cell.count for row in self.rows for cell in row.cells]
        counts += [count for row in self.rows for count in row.undocumented.values()]
        return max(counts, default=0)

    def as_json(self) -> dict[str, Any]:
        return {
            "documented_pairs": self.pairs,
            "exercised_pairs": self.exercised_pairs,
            "percent": round(self.percent, 1),
            "exchanges": self.exchanges,
            "missed": self.missed,
            "outside_spec": {str(status): count for status, count in self.outside.items()},
            "operations": [
                {
                    "api": row.operation.api,
                    "operation_id": row.operation.operation_id,
                    "method": row.operation.method,
                    "path": row.operation.path,
                    "exchanges": row.exchanges,
                    "statuses": {
                        str(cell.status): {"count": cell.count, "examples": cell.examples, "other": cell.other}
                        for cell in row.cells
                    },
                    "undocumented_statuses": {str(status): count for status, count in row.undocumented.items()},
                    "unanswered": row.unanswered,
                    "query_parameters": row.query,
                    "body_fields": row.body,
                    "names_not_listed": row.others_carried,
                }
                for row in self.rows
            ],
        }
