"""Totals and pages agree: walking every page of a list (`x-list.pages`) visits each item once, and as many
items as the list's total says. The walk is bounded: at most MAX_PAGES pages, said so in any report."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from .annotations import MISSING, ListSpec, list_spec, lookup
from .failures import PagesDisagree, shown
from .reads import Read, json_2xx, send

MAX_PAGES = 5
# A list walked once in a run (same operation, same filters) is not walked again: the walk costs requests.
REMEMBERED_WALKS = 256


@dataclass
class Walk:
    """The pages read so far, and where each item was first seen."""

    listing: ListSpec
    reads: list[Read] = field(default_factory=list)
    seen: dict[str, tuple[int, Any]] = field(default_factory=dict)
    count: int = 0

    def add(self, read: Read, items: list[Any]) -> PagesDisagree | None:
        self.reads.append(read)
        page = len(self.reads)
        for item in items:
            self.count += 1
            key = shown(lookup(item, self.listing.id))
            if key not in self.seen:
                self.seen[key] = (page, item)
                continue
            first_page, first = self.seen[key]
            if first == item:  # the same item, unchanged: repeated, not moved by a write during the walk
                return self.failure(
                    read.case,
                    expected=f"each page (of the first {MAX_PAGES}, where the walk stops) to list items no other page lists",
                    seen=f"page {page} lists item {key}, already listed on page {first_page}",
                )
        return None

    def failure(self, case: Case[Any], *, expected: str, seen: str) -> PagesDisagree:
        return PagesDisagree(operation=case.operation.label, expected=expected, seen=seen, reads=tuple(self.reads))


class _Walked:
    """The lists walked to a verdict in this run (a walk the list's changes left undecided may come again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str], None] = {}

    @staticmethod
    def _key(case: Case[Any], query: Mapping[str, Any]) -> tuple[str, str]:
        return case.operation.label, shown(sorted(query.items(), key=lambda pair: pair[0]))

    def before(self, case: Case[Any], query: Mapping[str, Any]) -> bool:
        with self._lock:
            return self._key(case, query) in self._keys

    def remember(self, case: Case[Any], query: Mapping[str, Any]) -> None:
        with self._lock:
            self._keys[self._key(case, query)] = None
            while len(self._keys) > REMEMBERED_WALKS:
                del self._keys[next(iter(self._keys))]

    def forget(self) -> None:
        with self._lock:
            self._keys.clear()


WALKED = _Walked()


def forget_walks() -> None:
    """A new run starts: the lists an earlier run in this process walked (another target, perhaps, or the
    same one changed since) are walked again."""
    WALKED.forget()


@schemathesis.check
def list_pages_agree(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every page of a successful list, walked with the same filters: no item twice, as many as the total says."""
    listing = list_spec(case.operation)
    body = json_2xx(response)
    if listing is None or body is MISSING:
        return None
    pages = listing.pages
    if pages.number and pages.size and pages.total:
        failure = _walk_numbered(ctx, case, body, listing)
    elif pages.token and pages.next:
        failure = _walk_tokens(ctx, case, body, listing)
    else:
        return None
    if failure is not None:
        raise failure
    return None


def _walk_numbered(ctx: CheckContext, case: Case[Any], body: Any, listing: ListSpec) -> PagesDisagree | None:
    pages = listing.pages
    assert pages.number and pages.size and pages.total
    query = dict(case.query or {})
    size, total = _int(query.get(pages.size, _default(case, pages.size))), lookup(body, pages.total)
    if size is None or size < 1 or not isinstance(total, int) or total <= size:
        return None  # one page: nothing to walk (pagination_consistent judges a page on its own)
    # The smallest page size that walks the whole list within MAX_PAGES, if the asked one does not.
    walk_size = max(size, math.ceil(total / MAX_PAGES))
    filters = {name: value for name, value in query.items() if name not in (pages.size, pages.number)}
    if WALKED.before(case, filters):
        return None
    walk = Walk(listing)
    page_count = math.ceil(total / walk_size)
    for number in range(1, page_count + 1):
        read = send(ctx, case, case.operation, query={**filters, pages.size: walk_size, pages.number: number})
        page = read.body if read is not None else MISSING
        items = lookup(page, listing.items)
        if read is None or not isinstance(items, list) or lookup(page, pages.total) != total:
            return None  # refused, or the list changed during the walk: the walk cannot decide
        failure = walk.add(read, items)
        if failure is not None:
            return failure if _unchanged_first_page(ctx, case, walk, filters, walk_size) else None
        counted = lookup(page, pages.count) if pages.count else MISSING
        if counted is not MISSING and counted != page_count:
            return walk.failure(
                case,
                expected=f"`{pages.count}` {page_count} on every page ({total} items at {pages.size}={walk_size})",
                seen=f"{shown(counted)} on page {number}",
            )
    WALKED.remember(case, filters)
    if walk.count != total and _unchanged_first_page(ctx, case, walk, filters, walk_size):
        return walk.failure(
            case,
            expected=f"{total} items over the {page_count} pages at {pages.size}={walk_size} (`{pages.total}`)",
            seen=f"{walk.count} items",
        )
    return None


def _unchanged_first_page(
    ctx: CheckContext, case: Case[Any], walk: Walk, filters: Mapping[str, Any], size: int
) -> bool:
    """Whether page 1 still lists what it did: if not, items were added during the walk and it cannot decide."""
    pages = walk.listing.pages
    assert pages.size and pages.number
    again = send(ctx, case, case.operation, query={**filters, pages.size: size, pages.number: 1})
    return again is not None and lookup(again.body, walk.listing.items) == lookup(
        walk.reads[0].body, walk.listing.items
    )


def _walk_tokens(ctx: CheckContext, case: Case[Any], body: Any, listing: ListSpec) -> PagesDisagree | None:
    pages = listing.pages
    assert pages.token and pages.next
    if lookup(body, pages.next) in (MISSING, None, ""):
        return None  # one page
    filters = {name: value for name, value in (case.query or {}).items() if name != pages.token}
    if WALKED.before(case, filters):
        return None
    walk, token = Walk(listing), None
    while len(walk.reads) < MAX_PAGES:
        read = send(ctx, case, case.operation, query={**filters, **({pages.token: token} if token else {})})
        items = lookup(read.body, listing.items) if read is not None else MISSING
        if read is None or not isinstance(items, list):
            return None
        failure = walk.add(read, items)
        if failure is not None:
            return failure
        token = lookup(read.body, pages.next)
        if token in (MISSING, None, ""):
            break
    WALKED.remember(case, filters)
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _default(case: Case[Any], name: str) -> Any:
    return next(
        (
            parameter.definition.get("schema", {}).get("default")
            for parameter in case.operation.query
            if parameter.name == name
        ),
        None,
    )
