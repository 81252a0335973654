"""What the state engine reads from a spec at run time: documented examples and schema property names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jobs_openapi import spec_path
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from mock_server.spec import read_document

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class SpecData:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(dict(document), default_specification=DRAFT4)
        self._resolver = Registry().with_resource("", resource).resolver(base_uri="")

    @classmethod
    def load(cls, api_or_path: str | Path) -> SpecData:
        return cls(read_document(spec_path(str(api_or_path))))

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            node = self._resolver.lookup(node["$ref"]).contents
        return node

    def operation(self, operation_id: str) -> Mapping[str, Any]:
        for item in self.document.get("paths", {}).values():
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, Mapping) and operation.get("operationId") == operation_id:
                    return operation
        raise KeyError(f"the spec has no operation {operation_id!r}")

    def example(self, operation_id: str, status: str = "200", name: str | None = None) -> Any:
        """The named example of a response (its first example when `name` is None)."""
        response = self.resolve(self.operation(operation_id)["responses"][status])
        examples = response["content"]["application/json"]["examples"]
        chosen = examples[name] if name is not None else next(iter(examples.values()))
        return self.resolve(chosen)["value"]

    def properties(self, schema_name: str) -> tuple[str, ...]:
        """The property names a component schema declares, its `allOf` parts included, in spec order."""
        names: dict[str, None] = {}
        pending = [self.document["components"]["schemas"][schema_name]]
        while pending:
            schema = self.resolve(pending.pop(0))
            names.update(dict.fromkeys(schema.get("properties", {})))
            pending.extend(schema.get("allOf", ()))
        return tuple(names)
