"""Filters hold: every item of a filtered list matches the filters the request asked for (`x-filter`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import celpy
import schemathesis
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from .annotations import MISSING, Filter, filters, list_spec, lookup
from .failures import FilterNotHeld, shown
from .reads import json_2xx

# What a filter says of one item: True (matches), False (contradicts the filter) or None (cannot tell).
Verdict = bool | None
Judge = Callable[[Any], Verdict]


@schemathesis.check
def list_filters_hold(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every item of a successful list matches each filter its query gave (the list's `x-filter` parameters)."""
    listing = list_spec(case.operation)
    body = json_2xx(response)
    items = lookup(body, listing.items) if listing is not None and body is not MISSING else MISSING
    if listing is None or not isinstance(items, list):
        return None
    query = case.query or {}
    for annotation in filters(case.operation):
        if annotation.parameter not in query or any(name in query for name in annotation.unless_given):
            continue
        judge, expected = judge_for(annotation, query[annotation.parameter])
        for item in items:
            if judge is not None and judge(item) is False:
                raise FilterNotHeld(
                    operation=case.operation.label,
                    expected=f"every listed item to have {expected} (query `{annotation.parameter}`)",
                    seen=f"item {shown(lookup(item, listing.id))}: {_what_it_has(annotation, item)}",
                )
    return None


def judge_for(annotation: Filter, value: Any) -> tuple[Judge | None, str]:
    """How to judge an item against one filter value, and what the filter expects, in words."""
    if isinstance(value, (list, dict)):
        return None, ""  # a value Schemathesis serialises its own way: the check does not guess what was sent
    if value == "":
        return None, ""  # `?environmentId=` reads as "no filter" to many servers, as "empty" to others: undecidable
    if annotation.equals is not None:
        pointer = annotation.equals
        return (lambda item: _same(lookup(item, pointer), value)), f"`{pointer}` equal to {shown(value)}"
    if annotation.equals_one_of:
        pointers = annotation.equals_one_of
        return (
            lambda item: any(_same(lookup(item, pointer), value) for pointer in pointers)
        ), f"one of {', '.join(f'`{p}`' for p in pointers)} equal to {shown(value)}"
    if annotation.absent_when_true is not None:
        if not _true(value):
            return None, ""
        pointer = annotation.absent_when_true
        return (lambda item: lookup(item, pointer) in (MISSING, None)), f"no `{pointer}`"
    if annotation.cel and isinstance(value, str):
        program = _compiled(value)
        if program is None:
            return None, ""
        bindings = annotation.cel
        return (lambda item: _cel_verdict(program, bindings, item)), f"the CEL filter {value!r} true"
    return None, ""


def _what_it_has(annotation: Filter, item: Any) -> str:
    pointers = [
        *([annotation.equals] if annotation.equals else []),
        *annotation.equals_one_of,
        *([annotation.absent_when_true] if annotation.absent_when_true else []),
        *annotation.cel.values(),
    ]
    return ", ".join(f"`{pointer}` is {shown(lookup(item, pointer))}" for pointer in pointers)


def _same(field: Any, value: Any) -> bool:
    # A query parameter arrives as text: a value generated as a number or a boolean is compared as sent.
    if isinstance(field, str) and not isinstance(value, str):
        return field == (str(value).lower() if isinstance(value, bool) else str(value))
    return bool(field == value)


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@lru_cache(maxsize=256)
def _compiled(expression: str) -> celpy.Runner | None:
    environment = celpy.Environment()
    try:
        return environment.program(environment.compile(expression))
    except (CELParseError, CELEvalError, ValueError, TypeError):
        return None  # not CEL this check can read; a server should have refused it, and other checks say so


def _cel_verdict(program: celpy.Runner, bindings: Mapping[str, str], item: Any) -> Verdict:
    activation = {}
    for name, pointer in bindings.items():
        value = lookup(item, pointer)
        if value is not MISSING:
            activation[name] = json_to_cel(value)
    try:
        result = program.evaluate(activation)
    except (CELEvalError, ValueError, TypeError):
        return None  # a name the item lacks, or an operation on types the check cannot bind
    return bool(result) if isinstance(result, celtypes.BoolType) else None
