"""Reading an OpenAPI document: YAML with JSON's types, local `$ref`s followed, operations in spec order.

Every part of the kit that reads a spec (the mock, the state engine, `jobs-contract`, the benchmarks, the
reference implementation) reads it here, so a spec means the same thing to all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

# The operations of a path item, in the order OpenAPI lists them.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecError(ValueError):
    """A spec that cannot be used as written: the message names the spec and the place in it."""


class _JsonTypesLoader(yaml.CSafeLoader):
    """YAML read as OpenAPI means it: JSON's types only, so an unquoted date stays a string, as in JSON."""


_JsonTypesLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def read_document(path: Path) -> Any:
    """A YAML or JSON file as JSON values (raises `yaml.YAMLError` for text that is neither)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_JsonTypesLoader)


class Resolver:
    """Follows local `$ref`s (`#/components/schemas/Job`, `#/paths/~1v1~1jobs`) inside one document."""

    def __init__(self, document: Mapping[str, Any], source: object = "the spec") -> None:
        self.source = source
        resource = Resource.from_contents(dict(document), default_specification=DRAFT4)
        self._resolver = Registry().with_resource("", resource).resolver(base_uri="")

    def resolve(self, node: Any) -> Any:
        """`node`, or what its `$ref` chain ends at: a node that is not a reference."""
        seen: list[str] = []
        while isinstance(node, Mapping) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                chain = " -> ".join([*seen, ref])
                raise SpecError(f"{self.source}: circular $ref {chain}")
            seen.append(ref)
            if not isinstance(ref, str) or not ref.startswith("#"):
                raise SpecError(f"{self.source}: cannot resolve $ref {ref!r} (only local references are supported)")
            try:
                node = self._resolver.lookup(ref).contents
            except Unresolvable:
                raise SpecError(f"{self.source}: $ref {ref!r} points to nothing in the spec") from None
        return node


class SpecOperation(NamedTuple):
    path: str  # as written in the spec
    method: str  # lower case, as written in the spec
    path_item: Mapping[str, Any]  # `$ref` followed
    operation: Mapping[str, Any]


def operations(document: Mapping[str, Any], resolver: Resolver | None = None) -> Iterator[SpecOperation]:
    """Every operation of the document, path by path in spec order, methods in OpenAPI's order."""
    resolver = resolver or Resolver(document)
    for path, raw in document.get("paths", {}).items():
        item = resolver.resolve(raw)
        for method in HTTP_METHODS:
            if method in item:
                yield SpecOperation(path, method, item, item[method])
