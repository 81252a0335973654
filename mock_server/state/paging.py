"""Reading list parameters, ordering jobs and cutting pages: by page number, or by opaque page token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import invalid

T = TypeVar("T")

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


@dataclass(frozen=True)
class SortKey:
    value: Callable[[Any], Any]
    descending: bool


def ordered(items: Sequence[T], keys: Sequence[SortKey]) -> list[T]:
    """`items` sorted by `keys`, the first key most significant; ties keep the items' order."""
    result = list(items)
    for key in reversed(keys):
        result.sort(key=key.value, reverse=key.descending)
    return result


def page_by_number(items: Sequence[T], page_size: int, page_number: int) -> tuple[list[T], dict[str, int]]:
    """One page (numbered from 1) and its Flatfile-style pagination numbers."""
    start = (page_number - 1) * page_size
    pagination = {
        "currentPage": page_number,
        "pageCount": math.ceil(len(items) / page_size),
        "totalCount": len(items),
    }
    return list(items[start : start + page_size]), pagination


class PageTokens:
    """Opaque tokens: base64url of the next offset and a fingerprint of the parameters they were issued for."""

    def __init__(self, field: str) -> None:
        self.field = field

    def page(
        self, items: Sequence[T], page_size: int, token: str | None, parameters: Mapping[str, Any]
    ) -> tuple[list[T], str | None]:
        """The page that `token` (None: the first) points to, and the token of the next page (None: no more)."""
        fingerprint = _fingerprint(parameters)
        start = self._offset(token, fingerprint) if token else 0
        end = start + page_size
        return list(items[start:end]), (self._token(end, fingerprint) if end < len(items) else None)

    def _token(self, offset: int, fingerprint: str) -> str:
        raw = json.dumps({"offset": offset, "params": fingerprint}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _offset(self, token: str, fingerprint: str) -> int:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            offset, issued_for = decoded["offset"], decoded["params"]
        except (binascii.Error, ValueError, TypeError, KeyError):
            raise invalid(f"invalid {self.field}: not a page token this server issued", self.field) from None
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise invalid(f"invalid {self.field}: not a page token this server issued", self.field)
        if issued_for != fingerprint:
            raise invalid(
                f"invalid {self.field}: the other parameters must match the call that returned the token", self.field
            )
        return offset


def _fingerprint(parameters: Mapping[str, Any]) -> str:
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
