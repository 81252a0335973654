"""Data generated from a response schema: valid against it, deterministic for a seed and a request.

Generation uses the JSON Schema strategies Schemathesis ships (on Hypothesis, through the adapter), on a tidied copy of the
schema: closed objects, short arrays, printable ASCII text. A tidied schema is stricter than the original,
so whatever it yields still validates against the spec.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from mock_server.errors import GenerationError
from mock_server.schemathesis_adapter import json_schema_strategy
from mock_server.spec import Response

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

# Hypothesis and Schemathesis' generators load on the first generated response (~0.4 s of start-up otherwise).

logger = logging.getLogger(__name__)

MAX_ITEMS = 3
CACHE_SIZE = 1024
_ATTEMPTS = 5
_CONTROL_CHARACTERS = "".join(map(chr, range(32))) + "\x7f"


def _allof_refs(node: Any, found: set[str]) -> set[str]:
    """Names of components that appear as `allOf` branches anywhere: closing those would conflict."""
    if isinstance(node, dict):
        for branch in node.get("allOf", ()):
            if isinstance(branch, dict) and "$ref" in branch:
                found.add(branch["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            _allof_refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _allof_refs(value, found)
    return found


def _tidy(schema: Any, closable: bool = True) -> None:
    """Tighten a JSON Schema in place so that its values read like data (it only ever gets stricter)."""
    if not isinstance(schema, dict):
        return
    if closable and "properties" in schema and "additionalProperties" not in schema and "allOf" not in schema:
        schema["additionalProperties"] = False
    free_form = schema.get("additionalProperties", True) in (True, {}) and "patternProperties" not in schema
    if (
        closable
        and schema.get("type") == "object"
        and free_form
        and "properties" not in schema
        and "minProperties" not in schema
    ):
        schema["maxProperties"] = 0
    if schema.get("type") == "array" and schema.get("minItems", 0) <= MAX_ITEMS:
        schema["maxItems"] = min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS)
    for value in schema.get("properties", {}).values():
        _tidy(value)
    for keyword in ("items", "additionalProperties", "not"):
        _tidy(schema.get(keyword))
    for keyword in ("anyOf", "oneOf"):
        for branch in schema.get(keyword, ()):
            _tidy(branch)
    for branch in schema.get("allOf", ()):
        _tidy(branch, closable=False)


def tidied(schema: dict[str, Any]) -> dict[str, Any]:
    tidy = copy.deepcopy(schema)
    in_allof = _allof_refs(tidy, set())
    _tidy(tidy)
    for name, component in tidy.get("components", {}).get("schemas", {}).items():
        _tidy(component, closable=name not in in_allof)
    return tidy


def _build_strategy(schema: dict[str, Any]) -> SearchStrategy[Any]:
    return json_schema_strategy(tidied(schema), ascii_without=_CONTROL_CHARACTERS)


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
            self._strategies[key] = _build_strategy(schema)
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
