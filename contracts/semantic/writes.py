"""Writes are visible: after a successful write, the read its `x-read-back` names shows what the write answered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from .annotations import MISSING, ReadBack, lookup, read_back
from .failures import WriteNotVisible, shown
from .reads import decidable, json_2xx, read_after_write


@schemathesis.check
def write_is_visible(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """The next read of a written resource shows the values its write answered: the fields the request sent,
    and those `x-read-back.shows` names."""
    spec = read_back(case.operation)
    if spec is None or spec.answer is None or json_2xx(response) is MISSING:
        return None
    found = read_after_write(ctx, case, response, spec)
    if found is None or found.resource is MISSING or found.answered is MISSING:
        return None  # no read, or a resource gone (a concurrent delete): cannot decide
    compared = list(compared_fields(spec, case.body, found.answered))
    if not decidable(found, spec, response, compared):
        return None  # written again since: cannot decide
    for pointer in compared:
        answered, stored = lookup(found.answered, pointer), lookup(found.resource, pointer)
        if stored != answered:
            raise WriteNotVisible(
                operation=case.operation.label,
                expected=f"`{pointer}` {shown(answered)} in {found.read.case.operation.label}, as the write answered",
                seen=f"{shown(stored)}",
                reads=(found.read,),
            )
    return None


def compared_fields(spec: ReadBack, body: Any, answered: Any) -> Iterator[str]:
    """Pointers (in the resource) of the fields a write sent that its answer shows, then of `shows`."""
    if isinstance(body, dict):
        for name in body:
            pointer = f"{spec.written}/{str(name).replace('~', '~0').replace('/', '~1')}"
            if lookup(answered, pointer) is not MISSING:
                yield pointer
    yield from (pointer for pointer in spec.shows if lookup(answered, pointer) is not MISSING)
