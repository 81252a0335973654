"""What a spec's examples look like, so that generated data looks the same: the values its examples show at
each node of the response schemas, and Hypothesis strategies that draw values of those shapes (an id keeps its
`us_jb_` prefix, a UUID stays a UUID, a timestamp is a recent UTC time, an email or URL keeps the examples'
domains, other text is one of the examples' own values)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

# Generated timestamps fall in the WINDOW before ANCHOR: fixed, so the same seed gives the same data any day.
ANCHOR = datetime(2026, 1, 15, tzinfo=UTC)
WINDOW = timedelta(days=90)
# Numbers bounded by the examples: a range the examples fit in, widened tenfold past 100.
PERCENT = 100
WORD_PATTERN = r"[a-z][a-z0-9]{2,11}"  # text of which the spec shows no example

ValuesShown = Mapping[str, tuple[Any, ...]]  # by `node_pointer`

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_EMAIL = re.compile(r"[^@\s]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_URL = re.compile(r"(https?://[A-Za-z0-9.-]+(?::\d+)?)(/\S*)?")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PREFIXED = re.compile(r"((?:[a-z]+_)+)[A-Za-z0-9_]+")  # Flatfile's ids: us_jb_…
_PLACEHOLDER = re.compile(r"<\w+>")
_SCATTER = 2_654_435_761  # Knuth's multiplicative hash constant
ID_PATTERN = "[A-Za-z0-9]{8}"  # what follows an id's prefix


def values_shown(pairs: Iterable[tuple[dict[str, Any], Any]]) -> dict[str, tuple[Any, ...]]:
    """Every scalar the examples show, by the schema node it is an instance of: `(response JSON Schema, example
    value)` pairs in, `{node pointer: distinct values in order}` out (see `node_pointer`). A placeholder (a
    property's own name, `<string>`) is left out."""
    found: dict[str, dict[Any, None]] = {}
    for schema, value in pairs:
        _record(schema, schema.get("components", {}).get("schemas", {}), value, "", None, found)
    return {pointer: tuple(values) for pointer, values in found.items()}


def node_pointer(parent: str, *tokens: str | int) -> str:
    """Where a schema node is: its component's name and the path from there (`Job/allOf/1/properties/id`), or
    the path from the response schema's root (`/properties/data`)."""
    return "/".join((parent, *map(str, tokens)))


def _record(
    schema: Any, components: Mapping[str, Any], value: Any, pointer: str, name: str | None, found: dict[str, Any]
) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_COMPONENT):
        component = ref[len(_COMPONENT) :]
        _record(components.get(component), components, value, component, name, found)
        return
    for keyword in ("allOf", "anyOf", "oneOf"):
        for index, branch in enumerate(schema.get(keyword, ())):
            _record(branch, components, value, node_pointer(pointer, keyword, index), name, found)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                _record(properties[key], components, item, node_pointer(pointer, "properties", key), key, found)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _record(schema["items"], components, item, node_pointer(pointer, "items"), name, found)
    elif _is_scalar(value) and _types_of(schema) & _kinds(value) and not _placeholder(value, name):
        found.setdefault(pointer, {})[value] = None


_COMPONENT = "#/components/schemas/"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _types_of(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _kinds(value: Any) -> set[str]:
    if isinstance(value, str):
        return {"string"}
    return {"integer", "number"} if isinstance(value, int) else {"number"}


def _placeholder(value: Any, name: str | None) -> bool:
    return isinstance(value, str) and (value == name or bool(_PLACEHOLDER.fullmatch(value)))


def timestamps(*, fraction: bool = True) -> SearchStrategy[str]:
    """RFC 3339 UTC timestamps in the WINDOW before ANCHOR, with milliseconds unless `fraction` is False."""
    from hypothesis import strategies as st

    spec = "milliseconds" if fraction else "seconds"
    span = int(WINDOW.total_seconds() * 1000)
    # Hypothesis favours small integers; scattering them spreads the times over the window, not its last second.
    return st.integers(0, span).map(
        lambda ms: (
            (ANCHOR - timedelta(milliseconds=ms * _SCATTER % span)).isoformat(timespec=spec).replace("+00:00", "Z")
        )
    )


def dates() -> SearchStrategy[str]:
    from hypothesis import strategies as st

    return st.integers(0, WINDOW.days).map(lambda days: (ANCHOR - timedelta(days=days)).date().isoformat())


def emails(domains: tuple[str, ...] = ("example.com",)) -> SearchStrategy[str]:
    from hypothesis import strategies as st

    local = st.from_regex(r"[a-z]{3,10}(\.[a-z]{3,10})?", fullmatch=True)
    return st.builds("{}@{}".format, local, st.sampled_from(domains))


def urls(bases: tuple[str, ...] = ("https://example.com",)) -> SearchStrategy[str]:
    from hypothesis import strategies as st

    path = st.from_regex(r"[a-z0-9]{3,12}(/[a-z0-9]{3,12})?", fullmatch=True)
    return st.builds("{}/{}".format, st.sampled_from(bases), path)


def words() -> SearchStrategy[str]:
    from hypothesis import strategies as st

    return st.from_regex(WORD_PATTERN, fullmatch=True)


def string_shape(values: tuple[str, ...]) -> SearchStrategy[str]:
    """Strings shaped like `values` (the examples of one property): see the module's docstring."""
    from hypothesis import strategies as st

    if all(_TIMESTAMP.fullmatch(value) for value in values):
        return timestamps(fraction=any("." in value for value in values))
    if all(_DATE.fullmatch(value) for value in values):
        return dates()
    if all(value.isdigit() for value in values):  # a 64-bit integer written as a string
        return st.integers(0, 10 * max(map(int, values))).map(str)
    if all(_UUID.fullmatch(value) for value in values):
        return st.uuids().map(str)
    emails_shown = [_EMAIL.fullmatch(value) for value in values]
    if all(emails_shown):
        return emails(tuple(dict.fromkeys(match.group(1) for match in emails_shown if match)))
    urls_shown = [_URL.fullmatch(value) for value in values]
    if all(urls_shown):
        return urls(tuple(dict.fromkeys(match.group(1) for match in urls_shown if match)))
    prefixed = [_PREFIXED.fullmatch(value) for value in values]
    if all(prefixed):
        # The most common prefix: a property may show ids of other kinds, but mostly shows its own.
        counts = Counter(match.group(1) for match in prefixed if match)
        prefix = counts.most_common(1)[0][0]
        return st.from_regex(ID_PATTERN, fullmatch=True).map(prefix.__add__)
    return st.sampled_from(values)


def number_bounds(values: tuple[float, ...]) -> tuple[float, float]:
    """A range for generated numbers of a property whose examples are `values` (or none)."""
    low, high = min(values, default=0), max(values, default=PERCENT)
    return (0 if low >= 0 else low * 10), (PERCENT if high <= PERCENT else high * 10)
