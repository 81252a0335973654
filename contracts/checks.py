"""Checks of our own, registered with Schemathesis: what a Jobs API promises beyond its response schemas.

They read what they need from the spec (`x-mock-echo`, parameter defaults) and from the response, so they
apply to both APIs (and to any spec written with the same conventions) without code of their own per API.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import schemathesis
from schemathesis import Case, CheckContext, Response

from .schemathesis_adapter import json_pointer, send_follow_up
from .semantic.annotations import MISSING
from .semantic.reads import json_2xx

# The status each lifecycle action must leave the returned job in.
STATUS_AFTER_ACTION = {"completeJob": "complete", "failJob": "failed", "cancelJob": "canceled"}
JOB_STATUS_POINTER = "/data/status"
ECHO_EXTENSION = "x-mock-echo"
# Query parameters that page a list, and the JSON pointer of the pagination block they describe.
PAGE_SIZE, PAGE_NUMBER, PAGINATION_POINTER = "pageSize", "pageNumber", "/pagination"


def _operation_id(case: Case[Any]) -> str | None:
    operation_id = case.operation.definition.raw.get("operationId")
    return operation_id if isinstance(operation_id, str) else None


@schemathesis.check
def job_status_after_action(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """After completeJob / failJob / cancelJob, the job returned is complete / failed / canceled."""
    expected = STATUS_AFTER_ACTION.get(_operation_id(case) or "")
    body = json_2xx(response)
    if expected is None or body is MISSING:
        return None
    found, status = json_pointer(body, JOB_STATUS_POINTER)
    if found and status != expected:
        raise AssertionError(
            f"Expected the job's `status` to be {expected!r} after {_operation_id(case)}, seen {status!r}"
        )
    return None


@schemathesis.check
def job_matches_path(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """The job a response returns is the job the path asked for (the spec's `x-mock-echo` says where)."""
    echo = case.operation.definition.raw.get(ECHO_EXTENSION) or {}
    body = json_2xx(response)
    if not echo or body is MISSING:
        return None
    for pointer, parameter in echo.items():
        asked = (case.path_parameters or {}).get(parameter)
        found, returned = json_pointer(body, pointer)
        # Schemathesis may hold a path parameter already percent-encoded; the server sees it decoded.
        if asked is not None and found and returned not in (asked, unquote(str(asked))):
            raise AssertionError(
                f"Expected `{pointer}` to be the `{parameter}` of the path, {asked!r}; seen {returned!r}"
            )
    return None


def _query_int(case: Case[Any], name: str, default: Any) -> int | None:
    value = (case.query or {}).get(name, default)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _parameter_default(case: Case[Any], name: str) -> Any:
    for parameter in case.operation.query:
        if parameter.name == name:
            return parameter.definition.get("schema", {}).get("default")
    return None


@schemathesis.check
def pagination_consistent(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A list page holds at most `pageSize` items; its `pagination` agrees with `pageSize`, `pageNumber` and the items."""
    body = json_2xx(response)
    if not isinstance(body, Mapping) or not any(p.name == PAGE_SIZE for p in case.operation.query):
        return None
    items = next((value for value in body.values() if isinstance(value, list)), None)
    size = _query_int(case, PAGE_SIZE, _parameter_default(case, PAGE_SIZE))
    if items is None or not size or size < 1:
        return None
    if len(items) > size:
        raise AssertionError(f"Expected at most pageSize={size} items, seen {len(items)}")
    found, pagination = json_pointer(body, PAGINATION_POINTER)
    if not found or not isinstance(pagination, Mapping):
        return None
    _check_pagination(
        pagination, size, _query_int(case, PAGE_NUMBER, _parameter_default(case, PAGE_NUMBER) or 1), len(items)
    )
    return None


def _check_pagination(pagination: Mapping[str, Any], size: int, page: int | None, count: int) -> None:
    total, pages, current = (pagination.get(key) for key in ("totalCount", "pageCount", "currentPage"))
    if not (isinstance(total, int) and isinstance(pages, int) and isinstance(current, int)):
        return  # a type problem: response_schema_conformance reports it
    if page is not None and current != page:
        raise AssertionError(f"Expected pagination.currentPage={page} (the pageNumber asked for), seen {current}")
    expected_pages = {math.ceil(total / size)} | ({1} if total == 0 else set())
    if pages not in expected_pages:
        raise AssertionError(
            f"Expected pagination.pageCount={math.ceil(total / size)} for totalCount={total} and pageSize={size}, seen {pages}"
        )
    expected_items = max(0, min(size, total - (current - 1) * size))
    if count != expected_items:
        raise AssertionError(
            f"Expected {expected_items} items on page {current} of {total} jobs at pageSize={size}, seen {count}"
        )


@schemathesis.check
def deleted_resource_is_gone(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """After a successful DELETE, a GET of the same path answers 404.

    Schemathesis' own `use_after_free` only fires when a random stateful walk happens to read after a delete;
    this reads back after every successful delete, so a resource that outlives its deletion is always seen.
    """
    if case.method.upper() != "DELETE" or not 200 <= response.status_code < 300:
        return None
    read = case.operation.schema.find_operation_by_label(f"GET {case.operation.path}")
    if read is None:
        return None
    probe = read.Case(path_parameters=dict(case.path_parameters or {}), headers=dict(case.headers or {}))
    follow_up = send_follow_up(ctx, case, probe)
    if follow_up.status_code != 404:
        raise AssertionError(
            f"Expected 404 from GET {read.path} after the delete succeeded, seen {follow_up.status_code}"
        )
    return None
