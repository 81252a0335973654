"""The mock's model of a spec, built once at start-up: per operation its parameters, body, security and
responses, with compiled validators and serialized examples."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from jobs_openapi import BUNDLED, Resolver, operations, read_document, spec_path
from jobs_openapi.validation import check_spec

from mock_server.echo import BodyTemplate, EchoTarget, echo_target, example_echo_targets
from mock_server.error_formats import ErrorFormat, error_format
from mock_server.example_shapes import ValuesShown, values_shown
from mock_server.filter_language import FilterLanguage, filter_language
from mock_server.schema import Schemas, compile_schema, json_type
from mock_server.wire import JSON_MEDIA_TYPE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header
    required: bool
    json_type: str | None  # what a string from the wire is coerced to before validation
    item_type: str | None
    explode: bool
    validator: jsonschema_rs.Validator
    language: FilterLanguage | None = None  # `x-filter-language`: the value must also parse as this language


@dataclass(frozen=True)
class RequestBody:
    required: bool
    media_types: tuple[str, ...]
    validator: jsonschema_rs.Validator | None  # for the JSON media type


@dataclass(frozen=True)
class Example:
    name: str
    value: Any
    template: BodyTemplate
    echo: tuple[EchoTarget, ...] = ()  # the example's own `x-mock-echo`


@dataclass(frozen=True)
class Response:
    status: int
    media_type: str | None
    examples: dict[str, Example]  # in spec order: the first is the default
    schema: dict[str, Any] | None  # JSON Schema (components embedded), for generated data
    validator: jsonschema_rs.Validator | None
    headers: tuple[tuple[bytes, bytes], ...]  # documented headers with their example values
    header_parameters: tuple[Parameter, ...] = ()  # documented headers, to validate a real response's
    # What the API's examples show at each node of the schemas (shared by its responses), for generated data.
    shown: ValuesShown = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    api: str
    operation_id: str
    method: str  # upper case
    path: str  # as written in the spec
    url_path: str  # base path + path
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    secured: bool
    responses: dict[int, Response]
    default_status: int
    echo: tuple[EchoTarget, ...]

    def documented_statuses(self) -> str:
        return ", ".join(str(status) for status in self.responses)


@dataclass(frozen=True)
class Api:
    name: str
    title: str
    version: str
    base_path: str
    source: Path
    document: dict[str, Any]
    errors: ErrorFormat
    operations: tuple[Operation, ...]
    path_items: dict[str, dict[str, Operation]]  # URL path template -> method -> operation

    @cached_property
    def namespace(self) -> str:
        """The URL prefix this API owns: its base path, or the literal segments the directories holding its
        paths share (`/api/v1` for `/api/v1/jobs` and `/api/v1/jobs/{jobId}:retry`), so a sibling of its
        collections (`/api/v1/jobz`) is still the API's."""
        if self.base_path:
            return self.base_path
        split = [path.split("/")[:-1] for path in self.path_items]
        shared: list[str] = []
        for segments in zip(*split, strict=False):  # up to the shortest path
            if len(set(segments)) != 1 or "{" in segments[0]:
                break
            shared.append(segments[0])
        return "/".join(shared)


def load_api(source: str) -> Api:
    """`source` is a bundled API name (flatfile, sift) or the path of an OpenAPI 3.0 spec file, which is checked
    first (`jobs_openapi.validation`: what it tolerates is logged as a warning)."""
    path = spec_path(source)
    document = read_document(path)
    if source not in BUNDLED:
        document, warnings = check_spec(document, path)
        for warning in warnings:
            logger.warning(warning)
    name = source if source in BUNDLED else path.stem
    return build_api(name, path, document)


def build_api(name: str, source: Path, document: dict[str, Any]) -> Api:
    """The API a spec document describes (`source` is where it was read, for messages)."""
    return _Builder(name, source, document).build()


class _Builder:
    def __init__(self, name: str, source: Path, document: dict[str, Any]) -> None:
        self.name = name
        self.source = source
        self.document = document
        self.resolver = Resolver(document, source)
        self.deref = self.resolver.resolve
        self.schemas = Schemas(document)
        self.shown: dict[str, tuple[Any, ...]] = {}  # filled once every response is read

    def build(self) -> Api:
        doc = self.document
        version = str(doc.get("openapi", ""))
        if not version.startswith("3.0."):
            raise ValueError(
                f"{self.source}: OpenAPI {version or '?'} is not supported; write the spec as OpenAPI 3.0.x"
            )
        if "x-error-format" not in doc:
            raise ValueError(f"{self.source}: the spec must name its error shape in a top-level `x-error-format`")
        servers = doc.get("servers") or [{"url": "/"}]
        base_path = urlsplit(servers[0]["url"]).path.rstrip("/")
        found: list[Operation] = []
        path_items: dict[str, dict[str, Operation]] = {}
        for path, method, item, _ in operations(doc, self.resolver):
            url_path = base_path + path
            operation = self.operation(path, url_path, method, item)
            found.append(operation)
            path_items.setdefault(url_path, {})[operation.method] = operation
        self.shown.update(
            values_shown(
                (response.schema, example.value)
                for operation in found
                for response in operation.responses.values()
                if response.schema is not None
                for example in response.examples.values()
            )
        )
        info = doc.get("info", {})
        return Api(
            name=self.name,
            title=str(info.get("title", self.name)),
            version=str(info.get("version", "")),
            base_path=base_path,
            source=self.source,
            document=doc,
            errors=error_format(doc["x-error-format"]),
            operations=tuple(found),
            path_items=path_items,
        )

    def operation(self, path: str, url_path: str, method: str, item: Mapping[str, Any]) -> Operation:
        spec = item[method]
        label = f"{method.upper()} {path}"
        operation_id = spec.get("operationId") or f"{method}{path}"
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in (*item.get("parameters", ()), *spec.get("parameters", ())):
            parameter = self.deref(raw)
            merged[(parameter["name"], parameter["in"])] = parameter
        parameters = tuple(self.parameter(parameter) for parameter in merged.values() if parameter["in"] != "cookie")
        path_parameters = frozenset(parameter.name for parameter in parameters if parameter.location == "path")
        responses = self.responses(label, spec.get("responses", {}), path_parameters)
        successes = [status for status in responses if 200 <= status < 300]
        if not successes:
            raise ValueError(f"{self.source}: {label} documents no 2xx response for the mock to answer with")
        echo = tuple(
            echo_target(self.schemas, f"{self.source}: {label}", pointer, parameter, responses[successes[0]].schema)
            for pointer, parameter in spec.get("x-mock-echo", {}).items()
        )
        if echo:
            responses = {
                status: self.responses_with_echo(response, echo) if 200 <= status < 300 else response
                for status, response in responses.items()
            }
        return Operation(
            api=self.name,
            operation_id=operation_id,
            method=method.upper(),
            path=path,
            url_path=url_path,
            parameters=parameters,
            body=self.request_body(spec.get("requestBody")),
            secured=self.secured(label, spec),
            responses=responses,
            default_status=min(successes),
            echo=echo,
        )

    def parameter(self, parameter: dict[str, Any]) -> Parameter:
        resolved = self.deref(parameter.get("schema", {}))
        kind = json_type(resolved)
        item_type = json_type(self.deref(resolved.get("items", {}))) if kind == "array" else None
        location = parameter["in"]
        return Parameter(
            name=parameter["name"],
            location=location,
            required=bool(parameter.get("required", location == "path")),
            json_type=kind,
            item_type=item_type,
            # OpenAPI: style defaults to form (query) or simple (path, header); only form explodes by default.
            explode=bool(
                parameter.get("explode", parameter.get("style", "form" if location == "query" else "simple") == "form")
            ),
            validator=self.schemas.validator(parameter.get("schema", {}), response=False),
            language=filter_language(parameter["x-filter-language"]) if "x-filter-language" in parameter else None,
        )

    def request_body(self, raw: Any) -> RequestBody | None:
        if raw is None:
            return None
        body = self.deref(raw)
        content = body.get("content", {})
        json_media = content.get(JSON_MEDIA_TYPE)
        validator = None
        if json_media is not None and "schema" in json_media:
            validator = self.schemas.validator(json_media["schema"], response=False)
        return RequestBody(required=bool(body.get("required")), media_types=tuple(content), validator=validator)

    def secured(self, label: str, spec: dict[str, Any]) -> bool:
        requirements = spec.get("security", self.document.get("security", []))
        if not requirements or any(not requirement for requirement in requirements):
            return False
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        for requirement in requirements:
            for scheme_name in requirement:
                scheme = self.deref(schemes.get(scheme_name, {}))
                if scheme.get("type") != "http" or str(scheme.get("scheme", "")).lower() != "bearer":
                    raise ValueError(
                        f"{self.source}: {label} uses security scheme {scheme_name!r}; "
                        "the mock supports HTTP bearer only"
                    )
        return True

    def responses(self, label: str, raw: dict[str, Any], path_parameters: frozenset[str]) -> dict[int, Response]:
        responses: dict[int, Response] = {}
        for key, value in raw.items():
            if not str(key).isdigit():
                continue  # `default` and `4XX` ranges cannot be chosen by code
            status = int(key)
            responses[status] = self.response(label, status, self.deref(value), path_parameters)
        return dict(sorted(responses.items()))

    def response(self, label: str, status: int, spec: dict[str, Any], path_parameters: frozenset[str]) -> Response:
        content = spec.get("content", {})
        media_type = JSON_MEDIA_TYPE if JSON_MEDIA_TYPE in content else next(iter(content), None)
        media = content.get(media_type, {}) if media_type else {}
        schema = self.schemas.json_schema(media["schema"], response=True) if "schema" in media else None
        validator = compile_schema(schema) if schema is not None else None
        named = {name: self.deref(example) for name, example in media.get("examples", {}).items()}
        if not named and "example" in media:
            named = {"example": {"value": media["example"]}}
        examples: dict[str, Example] = {}
        for name, example in named.items():
            if "value" not in example:
                continue  # externalValue: not served
            value = example["value"]
            if validator is not None and not validator.is_valid(value):
                logger.warning("%s: example %r of response %s does not match its schema", label, name, status)
            where = f"{self.source}: {label} example {name!r} of response {status}"
            echo = example_echo_targets(
                self.schemas, where, example.get("x-mock-echo", {}), value, schema, path_parameters
            )
            examples[name] = Example(name, value, BodyTemplate(value, echo), echo)
        documented = {name: self.deref(header) for name, header in spec.get("headers", {}).items()}
        headers = tuple(
            (header_name.lower().encode(), str(value).encode())
            for header_name, header in documented.items()
            if (value := self.header_example(header)) is not None
        )
        header_parameters = tuple(
            self.parameter({**header, "name": header_name, "in": "header"})
            for header_name, header in documented.items()
        )
        return Response(status, media_type, examples, schema, validator, headers, header_parameters, self.shown)

    def header_example(self, header: dict[str, Any]) -> Any:
        if "example" in header:
            return header["example"]
        schema = self.deref(header.get("schema", {}))
        for keyword in ("example", "default"):
            if keyword in schema:
                return schema[keyword]
        enum = schema.get("enum")
        return enum[0] if enum else None

    @staticmethod
    def responses_with_echo(response: Response, echo: tuple[EchoTarget, ...]) -> Response:
        examples = {
            name: Example(name, example.value, BodyTemplate(example.value, echo + example.echo), example.echo)
            for name, example in response.examples.items()
        }
        return replace(response, examples=examples)
