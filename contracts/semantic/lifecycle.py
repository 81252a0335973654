"""Lifecycle moves are real: after a successful action, the stored status (its next read) is one the spec
documents for that action (`x-read-back.status`), not only the answered one."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from .annotations import MISSING, lookup, read_back
from .failures import MoveNotStored, shown
from .reads import decidable, json_2xx, read_after_write


@schemathesis.check
def lifecycle_move_is_real(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """The next read after a successful action shows a status the action documents; a refused action (a
    documented 4xx) is not judged."""
    spec = read_back(case.operation)
    if spec is None or spec.status is None or json_2xx(response) is MISSING:
        return None
    found = read_after_write(ctx, case, response, spec)
    if found is None or found.resource is MISSING or not decidable(found, spec, response, [spec.status.at]):
        return None
    status = lookup(found.resource, spec.status.at)
    if status not in spec.status.allowed:
        allowed = " or ".join(shown(value) for value in spec.status.allowed)
        raise MoveNotStored(
            operation=case.operation.label,
            expected=f"`{spec.status.at}` {allowed} in {found.read.case.operation.label} after the action succeeded",
            seen=shown(status),
            reads=(found.read,),
        )
    return None
