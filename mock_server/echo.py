"""`x-mock-echo`: path parameters echoed into 2xx bodies. A documented body is serialized once at start-up and
split where the echoed values go, so each request only splices them in; generated data gets them set in place."""

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

    __slots__ = ("_originals", "_parts", "_targets", "static")

    def __init__(self, value: Any, targets: tuple[EchoTarget, ...]) -> None:
        self.static = dumps(value)
        marked = copy.deepcopy(value)
        found: list[tuple[bytes, EchoTarget, bytes]] = []  # (marker, target, original value as JSON)
        for index, target in enumerate(targets):
            text = f"\x00mock-echo-{index}\x00"
            original = _get_at(value, target.pointer) if target.pointer else None
            if original is not None and set_at(marked, target.pointer, text):
                found.append((dumps(text), target, dumps(original)))
        serialized = dumps(marked)
        found.sort(key=lambda entry: serialized.index(entry[0]))  # in the order they appear in the body
        parts = [serialized]
        for marker, _, _ in found:
            head, tail = parts[-1].split(marker)
            parts[-1:] = [head, tail]
        self._targets = tuple(target for _, target, _ in found)
        self._originals = tuple(original for _, _, original in found)
        self._parts = tuple(parts) if found else ()

    def render(self, path_params: Mapping[str, Any]) -> bytes:
        if not self._targets:
            return self.static
        pieces = [self._parts[0]]
        for target, original, tail in zip(self._targets, self._originals, self._parts[1:], strict=True):
            value = path_params.get(target.parameter)
            if value is not None and target.validator.is_valid(value):
                pieces.append(encode_basestring(value).encode() if isinstance(value, str) else dumps(value))
            else:
                pieces.append(original)
            pieces.append(tail)
        return b"".join(pieces)


def echo_into(value: Any, targets: tuple[EchoTarget, ...], path_params: Mapping[str, Any]) -> Any:
    """Echo path parameters into a body built at request time (generated data)."""
    for target in targets:
        new = path_params.get(target.parameter)
        if new is not None and target.pointer and target.validator.is_valid(new):
            set_at(value, target.pointer, new)
    return value
