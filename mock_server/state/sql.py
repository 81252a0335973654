"""A `JobQuery` as SQL over the `jobs` table, with the field semantics of `query.py`, in a store's dialect.

One renderer writes the statements; a `Dialect` says what differs between SQL engines: how a parameter is
marked, how a field is read from the job's JSON `body` (an expression an index on the same expression serves)
and how text is tested. SQLite compares a timestamp as its Julian day number, which it computes from whole
milliseconds; PostgreSQL as whole milliseconds since the Unix epoch (`jobs_mock_instant`, postgres_schema.py).
Text compares byte by byte in both (SQLite's BINARY collation, PostgreSQL's "C").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .query import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldKind,
    Index,
    JobField,
    JobQuery,
    Not,
    OneOf,
    Present,
    SortKey,
    Text,
    TextTest,
    Value,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_API_NAME = re.compile(r"[a-z][a-z0-9_]*")
_EPOCH_JULIAN_MS = 210_866_760_000_000  # the Unix epoch as a Julian day, in milliseconds
_MS_PER_DAY = 86_400_000
_EPOCH_JULIAN_DAY = _EPOCH_JULIAN_MS / _MS_PER_DAY
# The columns a page's rows start with, in the order `StoredJob` is built from.
JOB_COLUMNS = "id, body, hidden, seq"


def epoch_milliseconds(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def julian_day(moment: datetime) -> float:
    """The Julian day SQLite's julianday() gives for `moment` (whole milliseconds)."""
    return (_EPOCH_JULIAN_MS + epoch_milliseconds(moment)) / _MS_PER_DAY


@dataclass
class Sql:
    text: str
    parameters: list[Any] = field(default_factory=list)


class Dialect(Protocol):
    mark: str  # a parameter's placeholder

    def field(self, name: str, kind: FieldKind) -> str:
        """The field's value by the semantics of query.py, as an expression on `body`."""
        ...

    def present(self, name: str) -> str: ...

    def instant(self, moment: datetime) -> float:
        """A TIMESTAMP constant, comparable to what `field` gives for a TIMESTAMP field."""
        ...

    def text_test(self, column: str, test: TextTest, value: str) -> Sql:
        """`column` starts with, ends with or contains `value` (not empty)."""
        ...

    def index_element(self, expression: str) -> str: ...


class SqliteDialect:
    mark = "?"

    def field(self, name: str, kind: FieldKind) -> str:
        path = f"'$.\"{name}\"'"
        is_text = f"json_type(body, {path}) = 'text'"
        if kind is FieldKind.TIMESTAMP:
            day = f"coalesce(julianday(json_extract(body, {path})), {_EPOCH_JULIAN_DAY})"
            return f"(CASE WHEN {is_text} THEN {day} ELSE {_EPOCH_JULIAN_DAY} END)"
        return f"(CASE WHEN {is_text} THEN json_extract(body, {path}) ELSE '' END)"

    def present(self, name: str) -> str:
        return f"json_type(body, '$.\"{name}\"') IS NOT NULL"

    def instant(self, moment: datetime) -> float:
        return julian_day(moment)

    def text_test(self, column: str, test: TextTest, value: str) -> Sql:
        if test is TextTest.STARTS_WITH:
            return Sql(f"substr({column}, 1, ?) = ?", [len(value), value])
        if test is TextTest.ENDS_WITH:
            return Sql(f"substr({column}, ?) = ?", [-len(value), value])
        return Sql(f"instr({column}, ?) > 0", [value])

    def index_element(self, expression: str) -> str:
        return expression


class PostgresDialect:
    mark = "%s"

    def field(self, name: str, kind: FieldKind) -> str:
        is_text = f"json_typeof(body -> '{name}') = 'string'"
        if kind is FieldKind.TIMESTAMP:
            return f"(CASE WHEN {is_text} THEN jobs_mock_instant(body ->> '{name}') ELSE 0 END)"
        return f"(CASE WHEN {is_text} THEN body ->> '{name}' ELSE '' END) COLLATE \"C\""

    def present(self, name: str) -> str:
        return f"(body -> '{name}') IS NOT NULL"

    def instant(self, moment: datetime) -> float:
        return epoch_milliseconds(moment)

    def text_test(self, column: str, test: TextTest, value: str) -> Sql:
        if test is TextTest.STARTS_WITH:
            return Sql(f"starts_with({column}, %s)", [value])
        if test is TextTest.ENDS_WITH:
            return Sql(f"right({column}, %s) = %s", [len(value), value])
        return Sql(f"strpos({column}, %s) > 0", [value])

    def index_element(self, expression: str) -> str:
        return f"({expression})"


class Renderer:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def expression(self, job_field: JobField | None) -> str:
        return "seq" if job_field is None else self.dialect.field(job_field.name, job_field.kind)

    def condition(self, where: Condition) -> Sql:
        if isinstance(where, AllOf | AnyOf):
            if not where.parts:
                return Sql("TRUE" if isinstance(where, AllOf) else "FALSE")
            parts = [self.condition(part) for part in where.parts]
            joiner = " AND " if isinstance(where, AllOf) else " OR "
            return Sql(joiner.join(f"({part.text})" for part in parts), [p for part in parts for p in part.parameters])
        if isinstance(where, Not):
            inner = self.condition(where.part)
            return Sql(f"NOT ({inner.text})", inner.parameters)
        if isinstance(where, Compare):
            left, right = self._operand(where.left), self._operand(where.right)
            return Sql(f"{left.text} {where.operator.value} {right.text}", left.parameters + right.parameters)
        if isinstance(where, OneOf):
            marks = ", ".join([self.dialect.mark] * len(where.values))
            return Sql(f"{self.expression(where.field)} IN ({marks})", list(where.values))
        if isinstance(where, Text):
            if where.value == "":
                return Sql("TRUE")  # every string starts with, ends with and contains ""
            return self.dialect.text_test(self.expression(where.field), where.test, where.value)
        if isinstance(where, Present):
            return Sql(self.dialect.present(where.field.name))
        raise TypeError(f"not a condition: {where!r}")

    def _operand(self, operand: JobField | Value) -> Sql:
        if isinstance(operand, JobField):
            return Sql(self.expression(operand))
        value = operand.value
        return Sql(self.dialect.mark, [self.dialect.instant(value) if isinstance(value, datetime) else value])

    def order_by(self, keys: tuple[SortKey, ...]) -> str:
        return ", ".join(f"{self.expression(key.field)} {'DESC' if key.descending else 'ASC'}" for key in keys)

    def after(self, keys: tuple[SortKey, ...], values: tuple[Any, ...]) -> Sql:
        """Rows that come after the row whose sort values are `values`, in the order of `keys`."""
        mark = self.dialect.mark
        alternatives: list[str] = []
        parameters: list[Any] = []
        for position, key in enumerate(keys):
            equal = [f"{self.expression(earlier.field)} = {mark}" for earlier in keys[:position]]
            beyond = f"{self.expression(key.field)} {'<' if key.descending else '>'} {mark}"
            alternatives.append(" AND ".join([*equal, beyond]))
            parameters.extend([*values[:position], values[position]])
        # The first key's bound alone lets an index on it seek to the place instead of scanning up to it.
        first = f"{self.expression(keys[0].field)} {'<=' if keys[0].descending else '>='} {mark}"
        return Sql(f"{first} AND ({' OR '.join(alternatives)})", [values[0], *parameters])

    def page(self, session: str, api: str, query: JobQuery, limit: int, offset: int) -> Sql:
        """The rows of a page: the JOB_COLUMNS, then the row's sort key."""
        mark = self.dialect.mark
        keys = order(query.order)
        where = self.condition(query.where)
        # The API as a constant: the planner then uses the API's own (partial) indexes.
        clauses, parameters = [f"session = {mark}", api_is(api), f"({where.text})"], [session, *where.parameters]
        if query.after is not None:
            beyond = self.after(keys, query.after)
            clauses.append(beyond.text)
            parameters.extend(beyond.parameters)
        columns = ", ".join(self.expression(key.field) for key in keys)
        return Sql(
            f"SELECT {JOB_COLUMNS}, {columns} FROM jobs WHERE {' AND '.join(clauses)} "
            f"ORDER BY {self.order_by(keys)} LIMIT {mark} OFFSET {mark}",
            [*parameters, limit, offset],
        )

    def count(self, session: str, api: str, where: Condition) -> Sql:
        condition = self.condition(where)
        return Sql(
            f"SELECT count(*) FROM jobs WHERE session = {self.dialect.mark} AND {api_is(api)} AND ({condition.text})",
            [session, *condition.parameters],
        )

    def create_index(self, api: str, index: Index) -> str:
        return f"CREATE INDEX IF NOT EXISTS {self.index_name(api, index)} ON jobs (session, {self._columns(index)}) WHERE {api_is(api)}"

    def index_name(self, api: str, index: Index) -> str:
        return "jobs_listing_" + hashlib.sha256(f"{api} {self._columns(index)}".encode()).hexdigest()[:12]

    def _columns(self, index: Index) -> str:
        return ", ".join(
            f"{self.dialect.index_element(self.expression(key.field))}{' DESC' if key.descending else ''}"
            for key in order(index)
        )


def order(keys: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
    """The keys, then storage order unless they end with it: every row has its own place."""
    return keys if keys and keys[-1].field is None else (*keys, SortKey(None))


def api_is(api: str) -> str:
    if not _API_NAME.fullmatch(api):
        raise ValueError(f"an API name is an identifier, not {api!r}")
    return f"api = '{api}'"


SQLITE = Renderer(SqliteDialect())
POSTGRES = Renderer(PostgresDialect())
