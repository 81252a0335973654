"""Numbers as the mock reads them from a request: integers from text, and the numbers of a JSON body.

Python refuses to turn more than 4,300 digits into an int (a `ValueError` where none is expected), and reads
a JSON number beyond a double's range (`1e999`) as infinity, which no JSON can carry back (`Infinity` is not
JSON). Every string that becomes a number goes through here, so both are refused as the client's mistake.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

MAX_DIGITS = 4_300  # Python's own limit (sys.int_info.default_max_str_digits)
_INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits: str.isdigit() also admits '²', which int() refuses
_SHOWN = 40  # characters of a refused number a message quotes


class NumberError(ValueError):
    """Text that is not a number the mock reads; the message says why, for the caller to put after a name."""


def quoted(text: str) -> str:
    """`text` as a message quotes it, cut after a few dozen characters."""
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def integer(text: str) -> int:
    """`text` as an int: ASCII digits, an optional leading `-`, at most MAX_DIGITS digits."""
    if not _INTEGER.fullmatch(text):
        raise NumberError(f"must be a whole number, not {quoted(text)}")
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise NumberError(f"has {len(text.lstrip('-'))} digits; the mock reads integers of at most {MAX_DIGITS}")
    return int(text)


def integer_or_none(text: str | None) -> int | None:
    """`text` as `integer` reads it; None when it is absent or not such an integer."""
    if text is None:
        return None
    try:
        return integer(text)
    except NumberError:
        return None


def number(text: str) -> float:
    """`text` (already known to spell a number) as a finite float; an integer spelling is read by `integer`."""
    value = float(text)
    if not math.isfinite(value):
        raise NumberError(f"{quoted(text)} is beyond the range of a double (about ±1.8e308)")
    return value


@dataclass(frozen=True, slots=True)
class _Refused:
    """Stands in a parsed body for a number the mock cannot keep, until the body is refused naming its place."""

    reason: str


def _parse_int(text: str) -> int | _Refused:
    try:
        return integer(text)
    except NumberError as error:
        return _Refused(f"the integer {error}")


def _parse_float(text: str) -> float | _Refused:
    try:
        return number(text)
    except NumberError as error:
        return _Refused(f"the number {error}")


def _parse_constant(name: str) -> _Refused:
    return _Refused(f"{name} is not valid JSON: JSON numbers are finite")


class _Unusual(Exception):
    """A number the plain decoder does not keep: the text is read again, to name its place."""


def _finite(text: str) -> float:
    try:
        return number(text)
    except NumberError:
        raise _Unusual from None


def _no_constant(_name: str) -> NoReturn:
    raise _Unusual


# Built once: `json.loads` with hooks builds a decoder per call, and a hook per integer costs a call each. The C
# scanner reads integers itself and raises ValueError past Python's digit limit.
_PLAIN = json.JSONDecoder(parse_float=_finite, parse_constant=_no_constant)


def loads_json(text: str) -> tuple[Any, list[tuple[list[str], str]]]:
    """A JSON text as a value, with the place (keys and indexes) and reason of every number it cannot keep;
    `ValueError` (or `RecursionError`) for text that is not JSON."""
    try:
        return _PLAIN.decode(text), []
    except (_Unusual, ValueError):
        pass  # read again below: every number it cannot keep named, or the decoder's own error raised
    refused: list[_Refused] = []

    def seen(parsed: Any) -> Any:
        if isinstance(parsed, _Refused):
            refused.append(parsed)
        return parsed

    value = json.loads(
        text,
        parse_int=lambda raw: seen(_parse_int(raw)),
        parse_float=lambda raw: seen(_parse_float(raw)),
        parse_constant=lambda raw: seen(_parse_constant(raw)),
    )
    return value, list(_refused_places(value, [])) if refused else []


def _refused_places(value: Any, path: list[str]) -> Iterator[tuple[list[str], str]]:
    if isinstance(value, _Refused):
        yield path, value.reason
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _refused_places(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refused_places(item, [*path, str(index)])
