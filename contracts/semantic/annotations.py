"""What a spec says a list, a filter and a write mean: its `x-list`, `x-filter` and `x-read-back` extensions.

Pointers are JSON pointers (RFC 6901); a missing or malformed annotation means the check has nothing to go on
and does not apply, so an unannotated spec gets no semantic checks rather than wrong ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemathesis import APIOperation

from ..schemathesis_adapter import json_pointer

LIST = "x-list"
FILTER = "x-filter"
READ_BACK = "x-read-back"


class Missing:
    """What `lookup` gives where a document holds nothing (distinct from a JSON `null`)."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING = Missing()


def lookup(document: Any, pointer: str) -> Any:
    """The value at `pointer` in `document`, or MISSING."""
    found, value = json_pointer(document, pointer)
    return value if found else MISSING


@dataclass(frozen=True)
class Pages:
    """How a list is paged: by page number (with totals) or by page token."""

    size: str | None = None
    number: str | None = None
    total: str | None = None
    count: str | None = None
    token: str | None = None
    next: str | None = None


@dataclass(frozen=True)
class ListSpec:
    items: str
    id: str
    pages: Pages


@dataclass(frozen=True)
class Filter:
    """What one query parameter of a list filters, in one of four ways."""

    parameter: str
    equals: str | None = None  # the item's field at this pointer equals the parameter
    equals_one_of: tuple[str, ...] = ()  # one of the item's fields at these pointers equals it
    absent_when_true: str | None = None  # when the parameter is true, items have no field at this pointer ...
    unless_given: tuple[str, ...] = ()  # ... unless one of these parameters is given too
    cel: Mapping[str, str] = field(default_factory=dict)  # a CEL expression; its names bound to these pointers


@dataclass(frozen=True)
class Status:
    at: str
    allowed: tuple[Any, ...]


@dataclass(frozen=True)
class ReadBack:
    """Which read shows what a write stored, and what it must show."""

    link: Mapping[str, Any]  # an OpenAPI Link Object: the read's operationId and parameters
    answer: str | None = None  # where the write's 2xx answer holds the resource (None: the answer does not)
    read: str = ""  # where the read's answer holds it (a read that lists: the item whose id is `item`)
    item: str | None = None  # runtime expression of the resource's id, for a read that lists
    written: str = ""  # where, in the resource, the fields of the request body are
    version: str | None = None  # a field every write changes: a read showing a later one saw another write
    status: Status | None = None  # the statuses the write leaves the resource in
    shows: tuple[str, ...] = ()  # fields of the answer the read must show besides those sent


def list_spec(operation: APIOperation[Any, Any, Any, Any]) -> ListSpec | None:
    raw = operation.definition.raw.get(LIST)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("items"), str) or not isinstance(raw.get("id"), str):
        return None
    pages = _mapping(raw.get("pages"))
    known = {name: pages[name] for name in Pages.__dataclass_fields__ if isinstance(pages.get(name), str)}
    return ListSpec(items=raw["items"], id=raw["id"], pages=Pages(**known))


def filters(operation: APIOperation[Any, Any, Any, Any]) -> list[Filter]:
    found = []
    for parameter in operation.query:
        raw = parameter.definition.get(FILTER)
        if not isinstance(raw, Mapping):
            continue
        when_true = _mapping(raw.get("whenTrue"))
        found.append(
            Filter(
                parameter=parameter.name,
                equals=raw.get("equals"),
                equals_one_of=tuple(raw.get("equalsOneOf") or ()),
                absent_when_true=when_true.get("absent"),
                unless_given=tuple(raw.get("unlessGiven") or ()),
                cel=dict(raw.get("cel") or {}),
            )
        )
    return found


def read_back(operation: APIOperation[Any, Any, Any, Any]) -> ReadBack | None:
    raw = operation.definition.raw.get(READ_BACK)
    if not isinstance(raw, Mapping):
        return None
    link = _link(operation, raw.get("link"))
    if link is None:
        return None
    status = raw.get("status")
    return ReadBack(
        link=link,
        answer=raw.get("answer"),
        read=raw.get("read", ""),
        item=raw.get("item"),
        written=raw.get("written", ""),
        version=raw.get("version"),
        status=Status(status["at"], tuple(status["in"])) if isinstance(status, Mapping) else None,
        shows=tuple(raw.get("shows") or ()),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _link(operation: APIOperation[Any, Any, Any, Any], named: Any) -> Mapping[str, Any] | None:
    """A Link Object: `{$ref: ...}` into the document, or the name of a link of the operation's 2xx response."""
    document = operation.schema.raw_schema
    if isinstance(named, Mapping) and isinstance(named.get("$ref"), str):
        link = lookup(document, named["$ref"].removeprefix("#"))
    elif isinstance(named, str):
        responses = operation.definition.raw.get("responses", {})
        link = next(
            (
                response.get("links", {}).get(named, MISSING)
                for code, response in responses.items()
                if str(code).startswith("2") and isinstance(response, Mapping)
            ),
            MISSING,
        )
    else:
        return None
    return link if isinstance(link, Mapping) and "operationId" in link else None
