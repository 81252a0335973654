"""What a list asks the store for, in terms of job fields: which jobs, in which order, from where on.

A store translates a `JobQuery` into its own language (SQL for SQLite) and indexes the `Index`es the APIs
declare, so filtering, ordering and paging happen where the jobs are, not in Python over all of them.
Every field has one value semantics whatever the store: TEXT is the field's string, or "" when the job lacks
the field or holds something else; TIMESTAMP is the instant an RFC 3339 string names, or the Unix epoch
(proto3's default) when the job lacks it. Storage order (the order jobs were stored in) breaks every tie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FieldKind(Enum):
    TEXT = "text"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class JobField:
    """A top-level field of a job's JSON document."""

    name: str
    kind: FieldKind = FieldKind.TEXT

    def __post_init__(self) -> None:
        if not _FIELD_NAME.fullmatch(self.name):
            raise ValueError(f"a job field name is an identifier, not {self.name!r}")


@dataclass(frozen=True)
class Value:
    """A constant: a string for TEXT fields, an aware datetime for TIMESTAMP fields."""

    value: str | datetime


class Operator(Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True)
class Compare:
    left: JobField | Value
    operator: Operator
    right: JobField | Value


@dataclass(frozen=True)
class OneOf:
    field: JobField
    values: tuple[str, ...]


class TextTest(Enum):
    STARTS_WITH = "startsWith"
    ENDS_WITH = "endsWith"
    CONTAINS = "contains"


@dataclass(frozen=True)
class Text:
    field: JobField
    test: TextTest
    value: str


@dataclass(frozen=True)
class Present:
    """The job has the field at all (whatever its value, null included)."""

    field: JobField


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]  # none: every job


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]  # none: no job


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Compare | OneOf | Text | Present | AllOf | AnyOf | Not
EVERY_JOB = AllOf(())


@dataclass(frozen=True)
class SortKey:
    field: JobField | None  # None: storage order
    descending: bool = False


# The fields a store should index to list a session's jobs by them, most significant first.
Index = tuple[SortKey, ...]


@dataclass(frozen=True)
class JobQuery:
    where: Condition = EVERY_JOB
    order: tuple[SortKey, ...] = ()
    after: tuple[Any, ...] | None = None  # the `key` of a row a previous page ended with: continue after it


def every(*parts: Condition) -> Condition:
    """All of `parts`, flattened (a single part is itself)."""
    flat = tuple(inner for part in parts for inner in (part.parts if isinstance(part, AllOf) else (part,)))
    return flat[0] if len(flat) == 1 else AllOf(flat)
