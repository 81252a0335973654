"""What the state engine reads from a spec at run time: documented examples and schema property names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jobs_openapi import Resolver, load_document, operations


class SpecData:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._resolver = Resolver(document)

    @classmethod
    def load(cls, api_or_path: str | Path) -> SpecData:
        return cls(load_document(str(api_or_path)))

    def resolve(self, node: Any) -> Any:
        return self._resolver.resolve(node)

    def operation(self, operation_id: str) -> Mapping[str, Any]:
        for found in operations(self.document, self._resolver):
            if isinstance(found.operation, Mapping) and found.operation.get("operationId") == operation_id:
                return found.operation
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
