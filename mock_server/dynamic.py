"""Data generated from a response schema: valid against it, deterministic for a seed and a request.

Generation uses the JSON Schema strategies Schemathesis ships (on Hypothesis, through the adapter), on a tidied copy of the
schema: closed objects, short arrays, printable ASCII text, and strings and numbers shaped like the values the
spec's examples show at the same place (`example_shapes`). The tidied schema only narrows what the original
allows, and a value is still checked against the original (and drawn again should it not match).
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from mock_server.errors import GenerationError
from mock_server.example_shapes import (
    ValuesShown,
    dates,
    emails,
    node_pointer,
    number_bounds,
    string_shape,
    timestamps,
    urls,
    words,
)
from mock_server.schemathesis_adapter import FormatStrategies, json_schema_strategy
from mock_server.spec import Response

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

# Hypothesis and Schemathesis' generators load on the first generated response (~0.4 s of start-up otherwise).

logger = logging.getLogger(__name__)

MAX_ITEMS = 3
CACHE_SIZE = 1024
_ATTEMPTS = 5
_CONTROL_CHARACTERS = "".join(map(chr, range(32))) + "\x7f"


class _Tidier:
    """Rewrites a copy of a JSON Schema in place so that its values read like data, within what the original
    allows (a value is still checked against the original):

    - objects are closed (no property the schema does not name; an `allOf` is closed over all its branches'
      properties), and free-form ones stay empty;
    - arrays are short;
    - a string the examples show a value for gets a format of its own, whose strategy draws that value's shape
      (`example_shapes`); other plain text is a short word;
    - a number without bounds gets those the examples show (0 to 100 when they show none).
    """

    def __init__(self, components: dict[str, Any], shown: ValuesShown) -> None:
        self.originals = copy.deepcopy(components)  # what an `allOf` branch inlines: the component as written
        self.shown = shown
        self.formats: dict[str, SearchStrategy[Any]] = {}

    def tidy(self, schema: Any, pointer: str, closable: bool = True) -> None:
        if not isinstance(schema, dict):
            return
        branches = self._inline_allof(schema, pointer)
        if branches and closable:
            self._close_allof(schema)
        if closable and "properties" in schema and "additionalProperties" not in schema and "allOf" not in schema:
            schema["additionalProperties"] = False
        if (
            closable
            and _types(schema) == {"object"}
            and "properties" not in schema
            and "patternProperties" not in schema
            and "minProperties" not in schema
        ):
            schema["maxProperties"] = 0
        if "array" in _types(schema) and schema.get("minItems", 0) <= MAX_ITEMS:
            schema["maxItems"] = min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS)
        self._shape(schema, pointer)
        for name, value in schema.get("properties", {}).items():
            self.tidy(value, node_pointer(pointer, "properties", name))
        for keyword in ("items", "additionalProperties", "not"):
            self.tidy(schema.get(keyword), node_pointer(pointer, keyword))
        for keyword in ("anyOf", "oneOf"):
            for index, branch in enumerate(schema.get(keyword, ())):
                self.tidy(branch, node_pointer(pointer, keyword, index))
        for branch, where in branches:
            self.tidy(branch, where, closable=False)

    def _inline_allof(self, schema: dict[str, Any], pointer: str) -> list[tuple[Any, str]]:
        """An `allOf`'s branches, each a component inlined as written (open: the `allOf` closes over them all,
        while the component stays closed where it stands alone), with the pointer of what it was."""
        branches: list[tuple[Any, str]] = []
        for index, branch in enumerate(schema.get("allOf", ())):
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            if isinstance(ref, str) and ref.startswith(_COMPONENT) and ref[len(_COMPONENT) :] in self.originals:
                name = ref[len(_COMPONENT) :]
                branches.append((copy.deepcopy(self.originals[name]), name))
            else:
                branches.append((branch, node_pointer(pointer, "allOf", index)))
        if branches:
            schema["allOf"] = [branch for branch, _ in branches]
        return branches

    def _close_allof(self, schema: dict[str, Any]) -> None:
        """Name every branch's properties on the `allOf` itself and allow no others, when every branch is a
        plain object schema (a branch that is open on purpose keeps the whole open)."""
        names: dict[str, Any] = {}
        for branch in schema["allOf"]:
            if not isinstance(branch, dict) or "properties" not in branch or "allOf" in branch:
                return
            if branch.get("additionalProperties", False) is not False or "patternProperties" in branch:
                return
            names.update({name: {} for name in branch["properties"]})
        if "additionalProperties" not in schema and "patternProperties" not in schema:
            schema["properties"] = {**names, **schema.get("properties", {})}
            schema["additionalProperties"] = False

    def _shape(self, schema: dict[str, Any], pointer: str) -> None:
        types = _types(schema)
        values = self.shown.get(pointer, ())
        if not types or any(keyword in schema for keyword in _FIXED):
            return
        if schema.get("format") in _KNOWN_FORMATS and not any(isinstance(value, str) for value in values):
            return  # drawn by the format's strategy (`_formats_like_data` for the common ones)
        if types == {"string"} and not any(keyword in schema for keyword in _TEXT_LIMITS):
            strings = tuple(value for value in values if isinstance(value, str))
            name = f"x-shown:{pointer}" if strings else _WORD
            if name not in self.formats:
                self.formats[name] = string_shape(strings) if strings else words()
            schema["format"] = name
        elif types <= {"integer", "number"} and not any(keyword in schema for keyword in _BOUNDS):
            numbers = tuple(value for value in values if isinstance(value, int | float))
            schema["minimum"], schema["maximum"] = number_bounds(numbers)
            if numbers and all(isinstance(value, int) for value in numbers):
                schema["type"] = "integer"  # the examples show whole numbers (a progress of 10, 50, 100)


_COMPONENT = "#/components/schemas/"
_WORD = "x-word"
_FIXED = ("enum", "const", "pattern", "$ref")
_TEXT_LIMITS = ("minLength", "maxLength")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def tidied(schema: dict[str, Any], shown: ValuesShown | None = None) -> tuple[dict[str, Any], FormatStrategies]:
    """A stricter copy of a response JSON Schema (components embedded) whose values read like data, and the
    strategies of the formats it names."""
    tidy = copy.deepcopy(schema)
    components = tidy.get("components", {}).get("schemas", {})
    tidier = _Tidier(components, shown or {})
    tidier.tidy(tidy, "")
    for name, component in components.items():
        tidier.tidy(component, name)
    return tidy, {**_formats_like_data(), **tidier.formats}


def _formats_like_data() -> FormatStrategies:
    return {"date-time": timestamps(), "date": dates(), "email": emails(), "uri": urls()}


# Formats the generator draws values of; any other (int64, a vendor's own) is text to be shaped like the examples.
_KNOWN_FORMATS = frozenset(
    ("binary", "byte", "date", "date-time", "duration", "email", "hostname", "ipv4", "ipv6", "time", "uri", "uuid")
)


def _build_strategy(response: Response, schema: dict[str, Any]) -> SearchStrategy[Any]:
    tidy, formats = tidied(schema, response.shown)
    return json_schema_strategy(tidy, ascii_without=_CONTROL_CHARACTERS, formats=formats)


def _draw(strategy: SearchStrategy[Any], seed: int) -> Any:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    drawn: list[Any] = []

    @hypothesis_seed(seed)
    @settings(
        database=None,
        max_examples=2,  # Hypothesis tries the simplest value first; the second one is the seeded draw
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn[-1]


class DataGenerator:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._strategies: dict[int, SearchStrategy[Any]] = {}
        self._cache: OrderedDict[tuple[int, str], Any] = OrderedDict()

    def _strategy(self, response: Response, schema: dict[str, Any]) -> SearchStrategy[Any]:
        key = id(response)
        if key not in self._strategies:
            self._strategies[key] = _build_strategy(response, schema)
        return self._strategies[key]

    def _valid_draw(self, response: Response, schema: dict[str, Any], seed: int) -> Any:
        strategy = self._strategy(response, schema)
        value = _draw(strategy, seed)
        for attempt in range(1, _ATTEMPTS):
            if response.validator is None or response.validator.is_valid(value):
                break
            logger.warning("generated data for response %s did not match its schema; drawing again", response.status)
            value = _draw(strategy, seed + attempt)
        return value

    def generate(self, response: Response, request_key: str) -> Any:
        """A value for `response`'s schema; the same seed and request key always give the same value."""
        if response.schema is None:
            return None
        cache_key = (id(response), request_key)
        if cache_key in self._cache:
            self._cache.move_to_end(cache_key)
            return copy.deepcopy(self._cache[cache_key])
        digest = hashlib.sha256(f"{self.seed}|{response.status}|{request_key}".encode()).digest()
        base = int.from_bytes(digest[:8], "big")
        try:
            value = self._valid_draw(response, response.schema, base)
        except Exception as error:  # Hypothesis and Schemathesis signal an unusable schema in many ways
            raise GenerationError(f"no data can be generated for response {response.status}: {error}") from error
        self._cache[cache_key] = value
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return copy.deepcopy(value)
