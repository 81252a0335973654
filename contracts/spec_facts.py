"""What a run needs to know about a spec before Schemathesis loads it, read from the document itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from jobs_openapi import Resolver, SpecOperation, operations


@dataclass(frozen=True)
class SpecFacts:
    """What a run needs to know about a spec before Schemathesis loads it."""

    document: dict[str, Any]
    source: object = field(default="the spec", compare=False)  # how errors name the spec

    @property
    def fixed_headers(self) -> dict[str, str]:
        """Required headers whose schema allows a single value (Flatfile's `X-Disable-Hooks: true`)."""
        headers = {}
        for parameter in self._parameters():
            enum = parameter.get("schema", {}).get("enum", [])
            if parameter.get("in") == "header" and parameter.get("required") and len(enum) == 1:
                headers[parameter["name"]] = str(enum[0])
        return headers

    @property
    def bearer_schemes(self) -> list[str]:
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        return [
            name
            for name, scheme in schemes.items()
            if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
        ]

    @property
    def declares_links(self) -> bool:
        return any(
            "links" in response
            for operation in self.raw_operations()
            for response in operation.get("responses", {}).values()
            if isinstance(response, dict)
        )

    def documented_client_errors(self) -> dict[str, list[str]]:
        """Per operationId, the 4xx statuses its responses document."""
        return {
            operation["operationId"]: sorted(
                code for code in operation.get("responses", {}) if str(code).startswith("4")
            )
            for operation in self.raw_operations()
            if "operationId" in operation
        }

    @cached_property
    def resolver(self) -> Resolver:
        return Resolver(self.document, self.source)

    def spec_operations(self) -> list[SpecOperation]:
        return list(operations(self.document, self.resolver))

    def raw_operations(self) -> list[Mapping[str, Any]]:
        return [found.operation for found in self.spec_operations()]

    def _parameters(self) -> list[dict[str, Any]]:
        found: list[Any] = []
        item: Mapping[str, Any] | None = None
        for spec_operation in self.spec_operations():
            if spec_operation.path_item is not item:  # each path item's own parameters, once
                item = spec_operation.path_item
                found += item.get("parameters", [])
            found += spec_operation.operation.get("parameters", [])
        return [self.resolve(parameter) for parameter in found]

    def resolve(self, value: Any) -> Any:
        """`value` with its local `$ref` chain followed; a circular or dangling one is a `SpecError`."""
        return self.resolver.resolve(value)
