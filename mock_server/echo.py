"""`x-mock-echo`: path parameters echoed into bodies. A documented body is serialized once at start-up and
split where the echoed values go, so each request only splices them in; generated data gets them set in place.

On an operation, `x-mock-echo: {/data/id: jobId}` puts the parameter's value at a pointer of every 2xx body.
On an example (of any status), `x-mock-echo: {/errors/0/message: {parameter: jobId, replaces: us_jb_UNKNOWN}}`
puts it inside the string at the pointer, in place of the literal that string holds: "Job us_jb_42 not found".
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

import jsonschema_rs

from mock_server.schema import Schemas, compile_schema
from mock_server.wire import dumps


@dataclass(frozen=True)
class EchoTarget:
    """`x-mock-echo`: the value of path parameter `parameter` belongs at `pointer` in the 2xx body."""

    pointer: tuple[str, ...]
    parameter: str
    # Accepts exactly the values the response schema allows at `pointer`; a value it rejects is not echoed.
    validator: jsonschema_rs.Validator
    # Set: the value replaces this literal inside the string at `pointer` (which the validator then checks whole).
    replaces: str | None = None


def parse_pointer(pointer: str) -> tuple[str, ...]:
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"x-mock-echo key {pointer!r} is not a JSON pointer (it must start with '/')")
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/"))


def echo_target(
    schemas: Schemas, where: str, pointer: str, parameter: str, response_schema: dict[str, Any] | None
) -> EchoTarget:
    """The target of one `x-mock-echo` entry (`pointer: parameter`) in the 2xx response schema; `where` names the
    operation in the error a wrong entry gets."""
    tokens = parse_pointer(pointer)
    if response_schema is None:
        raise ValueError(f"{where} has x-mock-echo but its 2xx response has no schema")
    target = schemas.subschema(response_schema, tokens)
    if target is None:
        raise ValueError(f"{where}: x-mock-echo pointer {pointer!r} is not in the 2xx response schema")
    return EchoTarget(tokens, parameter, compile_schema({**target, "components": response_schema["components"]}))


def example_echo_targets(
    schemas: Schemas,
    where: str,
    entries: Any,
    value: Any,
    response_schema: dict[str, Any] | None,
    path_parameters: frozenset[str],
) -> tuple[EchoTarget, ...]:
    """The targets of an example's `x-mock-echo` (`pointer: {parameter, replaces}`), each checked against the
    example's value, its response schema and the operation's path parameters; `where` names the example."""
    if not isinstance(entries, dict):
        raise ValueError(f"{where}: x-mock-echo must map JSON pointers to {{parameter, replaces}}")
    targets = []
    for pointer, entry in entries.items():
        if not (isinstance(entry, dict) and set(entry) == {"parameter", "replaces"}):
            raise ValueError(f"{where}: x-mock-echo {pointer!r} must be {{parameter: NAME, replaces: TEXT}}")
        parameter, literal = entry["parameter"], entry["replaces"]
        if parameter not in path_parameters:
            raise ValueError(f"{where}: x-mock-echo {pointer!r} names {parameter!r}, not a path parameter here")
        tokens = parse_pointer(pointer)
        original = _get_at(value, tokens) if tokens else None
        if not (isinstance(original, str) and isinstance(literal, str) and literal and literal in original):
            raise ValueError(f"{where}: x-mock-echo {pointer!r} is not a string of the example containing {literal!r}")
        target = schemas.subschema(response_schema, tokens) if response_schema is not None else None
        validator = compile_schema({**(target or {}), "components": (response_schema or {}).get("components", {})})
        targets.append(EchoTarget(tokens, parameter, validator, literal))
    return tuple(targets)


def _parent_of(value: Any, pointer: tuple[str, ...]) -> Any:
    """The container holding the pointer's last token, or None when the path does not exist."""
    node = value
    for token in pointer[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _get_at(value: Any, pointer: tuple[str, ...]) -> Any:
    parent = _parent_of(value, pointer)
    last = pointer[-1]
    if isinstance(parent, dict):
        return parent.get(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    return None


def set_at(value: Any, pointer: tuple[str, ...], new: Any) -> bool:
    """Set `new` at `pointer` if its parent exists; True when it was set."""
    parent = _parent_of(value, pointer)
    last = pointer[-1]
    if isinstance(parent, dict):
        parent[last] = new
        return True
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = new
        return True
    return False


class BodyTemplate:
    """A JSON body whose echo targets are filled per request; the rest is bytes serialized once."""

    __slots__ = ("_originals", "_parts", "_targets", "_texts", "static")

    def __init__(self, value: Any, targets: tuple[EchoTarget, ...]) -> None:
        self.static = dumps(value)
        marked = copy.deepcopy(value)
        # (marker, target, what the marker stands for as JSON, the string it sits in or None for a whole value)
        found: list[tuple[bytes, EchoTarget, bytes, str | None]] = []
        for index, target in enumerate(targets):
            text = f"\x00mock-echo-{index}\x00"
            original = _get_at(value, target.pointer) if target.pointer else None
            if target.replaces is not None and isinstance(original, str) and target.replaces in original:
                if set_at(marked, target.pointer, original.replace(target.replaces, text, 1)):
                    found.append((dumps(text)[1:-1], target, _in_string(target.replaces), original))
            elif target.replaces is None and original is not None and set_at(marked, target.pointer, text):
                found.append((dumps(text), target, dumps(original), None))
        serialized = dumps(marked)
        found.sort(key=lambda entry: serialized.index(entry[0]))  # in the order they appear in the body
        parts = [serialized]
        for marker, _, _, _ in found:
            head, tail = parts[-1].split(marker)
            parts[-1:] = [head, tail]
        self._targets = tuple(target for _, target, _, _ in found)
        self._originals = tuple(original for _, _, original, _ in found)
        self._texts = tuple(text for _, _, _, text in found)
        self._parts = tuple(parts) if found else ()

    def render(self, path_params: Mapping[str, Any]) -> bytes:
        if not self._targets:
            return self.static
        pieces = [self._parts[0]]
        for target, original, text, tail in zip(
            self._targets, self._originals, self._texts, self._parts[1:], strict=True
        ):
            value = path_params.get(target.parameter)
            if value is None:
                pieces.append(original)
            elif text is not None and target.replaces is not None:
                fits = isinstance(value, str) and target.validator.is_valid(text.replace(target.replaces, value, 1))
                pieces.append(_in_string(value) if fits else original)
            elif target.validator.is_valid(value):
                pieces.append(encode_basestring(value).encode() if isinstance(value, str) else dumps(value))
            else:
                pieces.append(original)
            pieces.append(tail)
        return b"".join(pieces)


def _in_string(text: str) -> bytes:
    """`text` as it reads inside a JSON string (escaped, without the quotes)."""
    return dumps(text)[1:-1]


def echo_into(value: Any, targets: tuple[EchoTarget, ...], path_params: Mapping[str, Any]) -> Any:
    """Echo path parameters into a body built at request time (generated data)."""
    for target in targets:
        new = path_params.get(target.parameter)
        if new is not None and target.pointer and target.replaces is None and target.validator.is_valid(new):
            set_at(value, target.pointer, new)
    return value
