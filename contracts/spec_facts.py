"""What a run needs to know about a spec before Schemathesis loads it, read from the document itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class SpecFacts:
    """What a run needs to know about a spec before Schemathesis loads it."""

    document: dict[str, Any]

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

    def raw_operations(self) -> list[dict[str, Any]]:
        return [
            item[method]
            for item in self.document.get("paths", {}).values()
            for method in HTTP_METHODS
            if method in item
        ]

    def _parameters(self) -> list[dict[str, Any]]:
        found = []
        for item in self.document.get("paths", {}).values():
            found += item.get("parameters", [])
            found += [p for method in HTTP_METHODS if method in item for p in item[method].get("parameters", [])]
        return [self.resolve(parameter) for parameter in found]

    def resolve(self, value: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in value:
            node: Any = self.document
            for part in value["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            value = node
        return value
