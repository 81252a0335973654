"""A `JobQuery` as SQLite SQL over the `jobs` table, with the field semantics of `query.py`.

A field is read from the job's JSON `body` by an expression that an index on the same expression serves;
a timestamp is compared as its Julian day number, which SQLite computes from whole milliseconds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .query import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldKind,
    Index,
    JobField,
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


def julian_day(moment: datetime) -> float:
    """The Julian day SQLite's julianday() gives for `moment` (whole milliseconds)."""
    return (_EPOCH_JULIAN_MS + (moment - EPOCH) // timedelta(milliseconds=1)) / _MS_PER_DAY


def expression(job_field: JobField | None) -> str:
    if job_field is None:
        return "seq"
    path = f"'$.\"{job_field.name}\"'"
    is_text = f"json_type(body, {path}) = 'text'"
    if job_field.kind is FieldKind.TIMESTAMP:
        day = f"coalesce(julianday(json_extract(body, {path})), {_EPOCH_JULIAN_DAY})"
        return f"(CASE WHEN {is_text} THEN {day} ELSE {_EPOCH_JULIAN_DAY} END)"
    return f"(CASE WHEN {is_text} THEN json_extract(body, {path}) ELSE '' END)"


@dataclass
class Sql:
    text: str
    parameters: list[Any] = field(default_factory=list)


def condition(where: Condition) -> Sql:
    if isinstance(where, AllOf | AnyOf):
        if not where.parts:
            return Sql("1" if isinstance(where, AllOf) else "0")
        parts = [condition(part) for part in where.parts]
        joiner = " AND " if isinstance(where, AllOf) else " OR "
        return Sql(joiner.join(f"({part.text})" for part in parts), [p for part in parts for p in part.parameters])
    if isinstance(where, Not):
        inner = condition(where.part)
        return Sql(f"NOT ({inner.text})", inner.parameters)
    if isinstance(where, Compare):
        left, right = _operand(where.left), _operand(where.right)
        return Sql(f"{left.text} {where.operator.value} {right.text}", left.parameters + right.parameters)
    if isinstance(where, OneOf):
        marks = ", ".join("?" * len(where.values))
        return Sql(f"{expression(where.field)} IN ({marks})", list(where.values))
    if isinstance(where, Text):
        return _text(where)
    if isinstance(where, Present):
        return Sql(f"json_type(body, '$.\"{where.field.name}\"') IS NOT NULL")
    raise TypeError(f"not a condition: {where!r}")


def _operand(operand: JobField | Value) -> Sql:
    if isinstance(operand, JobField):
        return Sql(expression(operand))
    value = operand.value
    return Sql("?", [julian_day(value) if isinstance(value, datetime) else value])


def _text(test: Text) -> Sql:
    column = expression(test.field)
    if test.value == "":
        return Sql("1")  # every string starts with, ends with and contains ""
    if test.test is TextTest.STARTS_WITH:
        return Sql(f"substr({column}, 1, ?) = ?", [len(test.value), test.value])
    if test.test is TextTest.ENDS_WITH:
        return Sql(f"substr({column}, ?) = ?", [-len(test.value), test.value])
    return Sql(f"instr({column}, ?) > 0", [test.value])


def order(keys: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
    """The keys, then storage order unless they end with it: every row has its own place."""
    return keys if keys and keys[-1].field is None else (*keys, SortKey(None))


def order_by(keys: tuple[SortKey, ...]) -> str:
    return ", ".join(f"{expression(key.field)} {'DESC' if key.descending else 'ASC'}" for key in keys)


def after(keys: tuple[SortKey, ...], values: tuple[Any, ...]) -> Sql:
    """Rows that come after the row whose sort values are `values`, in the order of `keys`."""
    alternatives: list[str] = []
    parameters: list[Any] = []
    for position, key in enumerate(keys):
        equal = [f"{expression(earlier.field)} = ?" for earlier in keys[:position]]
        beyond = f"{expression(key.field)} {'<' if key.descending else '>'} ?"
        alternatives.append(" AND ".join([*equal, beyond]))
        parameters.extend([*values[:position], values[position]])
    # The first key's bound alone lets an index on it seek to the place instead of scanning up to it.
    first = f"{expression(keys[0].field)} {'<=' if keys[0].descending else '>='} ?"
    return Sql(f"{first} AND ({' OR '.join(alternatives)})", [values[0], *parameters])


def api_is(api: str) -> str:
    if not _API_NAME.fullmatch(api):
        raise ValueError(f"an API name is an identifier, not {api!r}")
    return f"api = '{api}'"


def create_index(api: str, index: Index) -> str:
    keys = order(index)
    columns = ", ".join(f"{expression(key.field)}{' DESC' if key.descending else ''}" for key in keys)
    name = "jobs_listing_" + hashlib.sha256(f"{api} {columns}".encode()).hexdigest()[:12]
    return f"CREATE INDEX IF NOT EXISTS {name} ON jobs (session, {columns}) WHERE {api_is(api)}"
