"""Follow-up reads of the semantic checks: sent like Schemathesis' own (recorded in the scenario, through its
transport, with the run's headers), evaluated from OpenAPI Link Objects, and kept as curl reproducers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from schemathesis import APIOperation, Case, Response
from schemathesis.checks import CheckContext

from ..schemathesis_adapter import link_value, send_follow_up
from .annotations import MISSING, ListSpec, ReadBack, list_spec, lookup

LOCATIONS = ("path", "query", "header")
# A write's read is shared by the checks that judge it; one per write case is remembered, the latest few.
REMEMBERED_READS = 64


@dataclass(frozen=True)
class Read:
    case: Case[Any]
    response: Response

    @property
    def curl(self) -> str:
        return self.case.as_curl_command(headers=dict(self.response.request.headers), verify=self.response.verify)

    @property
    def body(self) -> Any:
        return json_2xx(self.response)


def json_2xx(response: Response) -> Any:
    """The JSON body of a success, or MISSING (not a success, or not JSON: other checks say so)."""
    if not 200 <= response.status_code < 300:
        return MISSING
    try:
        return response.json()
    except ValueError:
        return MISSING


def send(
    ctx: CheckContext,
    parent: Case[Any],
    operation: APIOperation[Any, Any, Any, Any],
    *,
    path_parameters: Mapping[str, Any] | None = None,
    query: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
) -> Read | None:
    """One request of a check's own, recorded as a child of `parent`; None when it never got an answer."""
    probe = operation.Case(
        path_parameters=dict(path_parameters or {}), query=dict(query or {}), headers=dict(headers or {})
    )
    try:
        response = send_follow_up(ctx, parent, probe)
    except OSError:  # the transport's connection errors: the check cannot decide, the run reports the server
        return None
    return Read(probe, response)


def follow_link(ctx: CheckContext, case: Case[Any], response: Response, link: Mapping[str, Any]) -> Read | None:
    """The request a Link Object describes, after `case` answered `response`; None if its values cannot be had."""
    operation = case.operation.schema.find_operation_by_id(link["operationId"])
    values: dict[str, dict[str, Any]] = {location: {} for location in LOCATIONS}
    for qualified, expression in (link.get("parameters") or {}).items():
        location, name = _locate(operation, qualified)
        found, value = link_value(expression, case, response)
        if location is None or not found or value is None:
            return None
        values[location][name] = value
    return send(ctx, case, operation, path_parameters=values["path"], query=values["query"], headers=values["header"])


def _locate(operation: APIOperation[Any, Any, Any, Any], qualified: str) -> tuple[str | None, str]:
    """A link parameter is `name` or `location.name` (OpenAPI 3.0, Link Object)."""
    prefix, _, rest = qualified.partition(".")
    if rest and prefix in LOCATIONS:
        return prefix, rest
    for location, parameters in (
        ("path", operation.path_parameters),
        ("query", operation.query),
        ("header", operation.headers),
    ):
        if any(parameter.name == qualified for parameter in parameters):
            return location, qualified
    return None, qualified


@dataclass(frozen=True)
class ReadAfterWrite:
    """A write's answer and the read that shows what it stored."""

    read: Read
    resource: Any  # the resource in the read (MISSING: the read does not show it: gone, or not listed)
    answered: Any  # the resource in the write's answer (MISSING: the answer does not hold it)


class _Reads:
    """Reads by the write answer they follow. Keyed by the response object, not the case id: Hypothesis reseeds
    the generator of case ids, so two requests of a run may share one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads: OrderedDict[int, tuple[Response, ReadAfterWrite | None]] = OrderedDict()

    def after(self, ctx: CheckContext, case: Case[Any], response: Response, spec: ReadBack) -> ReadAfterWrite | None:
        with self._lock:
            remembered = self._reads.get(id(response))
        if remembered is not None and remembered[0] is response:
            return remembered[1]
        found = _read_after(ctx, case, response, spec)
        with self._lock:
            # The entry holds the response, so its id cannot be reused while the entry lives.
            self._reads[id(response)] = (response, found)
            while len(self._reads) > REMEMBERED_READS:
                self._reads.popitem(last=False)
        return found


READS = _Reads()


def read_after_write(ctx: CheckContext, case: Case[Any], response: Response, spec: ReadBack) -> ReadAfterWrite | None:
    """The read that shows what a successful write stored (once per write, whichever check asks first)."""
    return READS.after(ctx, case, response, spec)


def _read_after(ctx: CheckContext, case: Case[Any], response: Response, spec: ReadBack) -> ReadAfterWrite | None:
    answer = json_2xx(response)
    if answer is MISSING:
        return None
    read = follow_link(ctx, case, response, spec.link)
    if read is None:
        return None
    answered = lookup(answer, spec.answer) if spec.answer is not None else MISSING
    listing = list_spec(read.case.operation)
    if listing is None:
        resource = lookup(read.body, spec.read)
    else:
        resource = _listed_item(read.body, listing, _item_id(spec, case, response))
    return ReadAfterWrite(read=read, resource=resource, answered=answered)


def _item_id(spec: ReadBack, case: Case[Any], response: Response) -> Any:
    if spec.item is None:
        return MISSING
    found, value = link_value(spec.item, case, response)
    return value if found else MISSING


def _listed_item(body: Any, listing: ListSpec, item_id: Any) -> Any:
    items = lookup(body, listing.items)
    if item_id is MISSING or not isinstance(items, list):
        return MISSING
    return next((item for item in items if lookup(item, listing.id) == item_id), MISSING)


def decidable(found: ReadAfterWrite, spec: ReadBack, response: Response, judged: Iterable[str]) -> bool:
    """Whether the read can judge the write at the pointers `judged`, although other requests may write the same
    resource meanwhile.

    With the resource in the write's answer: unless the read shows a later version (another write came in
    between), or, for a lifecycle move (a `status` in `x-read-back`), the same version with other values at
    `judged`: a move always makes a new version, and one tick of the version's clock (a millisecond, often) can
    hold two moves, so the read may show the second. A plain write may answer the version it found when it did
    not store, so a tie is judged there. Without the resource in the answer: only if the read shows nothing
    stored since before the write (its `Date`), so a write that changed nothing is told from one that another
    write has overtaken.
    """
    if spec.version is None:
        return True
    read = _moment(lookup(found.resource, spec.version))
    if found.answered is not MISSING:
        answered = _moment(lookup(found.answered, spec.version))
        if read is None or answered is None or read < answered:
            return True
        return read == answered and (
            spec.status is None or all(lookup(found.resource, at) == lookup(found.answered, at) for at in judged)
        )
    dates = response.headers.get("date") or []
    try:
        sent = parsedate_to_datetime(dates[0]) if dates else None
    except (TypeError, ValueError):
        sent = None
    return read is not None and sent is not None and read < sent


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)
