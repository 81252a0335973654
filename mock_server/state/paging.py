"""Reading list parameters and cutting pages: by page number, or by opaque page token.

A page is read from the store in short transactions (`scan`); a filter the store cannot decide is evaluated on
candidate jobs outside them, in batches, and one request examines at most SCAN_LIMIT candidates: a page that
reaches it ends early with a token to continue from (AIP-158 allows a short page), so no request is unbounded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from .errors import invalid
from .query import JobQuery
from .store import JobStore, Row, StoredJob

SCAN_BATCH = 100
SCAN_LIMIT = 2_000

_BOOLEANS = {"true": True, "false": False, True: True, False: False}


def integer(query: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if isinstance(raw, bool) or value is None or value < minimum or (isinstance(raw, float) and raw != value):
        raise invalid(f"{name} must be an integer of at least {minimum}", name)
    return value


def boolean(query: Mapping[str, Any], name: str) -> bool:
    raw = query.get(name, False)
    try:
        return _BOOLEANS[raw]
    except (KeyError, TypeError):
        raise invalid(f"{name} must be true or false", name) from None


def pagination(total: int, page_size: int, page_number: int) -> dict[str, int]:
    """Flatfile-style pagination numbers of a page (numbered from 1)."""
    return {"currentPage": page_number, "pageCount": math.ceil(total / page_size), "totalCount": total}


def scan(
    store: JobStore,
    where: tuple[str, str],
    query: JobQuery,
    page_size: int,
    keep: Callable[[StoredJob], bool] | None = None,
) -> tuple[list[StoredJob], tuple[Any, ...] | None]:
    """A page of the jobs of `where` (session, api) that match `query` and `keep`, and the key to continue after
    (None: no more). `keep` runs outside the store's transactions."""
    session, api = where
    if keep is None:
        with store.transaction() as tx:
            rows = tx.page(session, api, query, page_size + 1)
        return [row.stored for row in rows[:page_size]], rows[page_size - 1].key if len(rows) > page_size else None
    found: list[Row] = []
    examined = 0
    cursor = query.after
    while True:
        batch = min(SCAN_BATCH, SCAN_LIMIT - examined)
        with store.transaction() as tx:
            rows = tx.page(session, api, replace(query, after=cursor), batch)
        for row in rows:
            examined += 1
            cursor = row.key
            if keep(row.stored):
                found.append(row)
                if len(found) > page_size:
                    return [row.stored for row in found[:page_size]], found[page_size - 1].key
        if len(rows) < batch:
            return [row.stored for row in found], None
        if examined >= SCAN_LIMIT:
            return [row.stored for row in found], cursor


class PageTokens:
    """Opaque tokens: base64url of where the next page starts and a fingerprint of the parameters of the call."""

    def __init__(self, field: str) -> None:
        self.field = field

    def issue(self, after: tuple[Any, ...], parameters: Mapping[str, Any]) -> str:
        raw = json.dumps({"after": list(after), "params": _fingerprint(parameters)}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def read(self, token: str, parameters: Mapping[str, Any], length: int) -> tuple[Any, ...]:
        """Where the page `token` points to starts; `length` is the number of values a position has."""
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            after, issued_for = decoded["after"], decoded["params"]
        except (binascii.Error, ValueError, TypeError, KeyError):
            raise self._foreign() from None
        if issued_for != _fingerprint(parameters):
            raise invalid(
                f"invalid {self.field}: the other parameters must match the call that returned the token", self.field
            )
        if not isinstance(after, list) or len(after) != length or not all(map(_is_position_value, after)):
            raise self._foreign()
        return tuple(after)

    def _foreign(self) -> Exception:
        return invalid(f"invalid {self.field}: not a page token this server issued", self.field)


def _is_position_value(value: Any) -> bool:
    """A value a store compares with: a string, a 64-bit integer or a finite number."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str) or (isinstance(value, float) and math.isfinite(value))


def _fingerprint(parameters: Mapping[str, Any]) -> str:
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
