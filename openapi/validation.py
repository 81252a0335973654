"""Checking a spec of the user's with openapi-spec-validator, before `jobs-mock` serves it or `jobs-contract`
tests against it (the suite checks the bundled specs instead, so starting with them costs nothing).

What the validator finds stops the command: a `SpecError` naming the first few faults, each by its place as
a JSON pointer (in a `$ref`'s form) and the validator's message —

    spec.yaml is not valid OpenAPI 3.0: #/paths/~1v1~1jobs/get/responses/200: 'description' is a required property

— and so does a `$ref` that is circular or leads nowhere. Three faults, whose meaning is plain, are warnings
instead: a path parameter without `required: true` (read as required, as OpenAPI means every path parameter),
a `required` list naming a property its schema does not describe (the value must have it, of any type), a
parameter listed twice in one list.
"""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from jsonschema.exceptions import ValidationError, relevance

from .document import HTTP_METHODS, Resolver, SpecError

if TYPE_CHECKING:
    from openapi_spec_validator.validation.validators import SpecValidator

SHOWN = 5  # faults named in one error; the rest are counted
MESSAGE_CHARACTERS = 200  # a message quoting a large value is cut to this

Place = tuple[str | int, ...]


class CheckedSpec(NamedTuple):
    document: dict[str, Any]  # as the commands read it: every path parameter `required: true`
    warnings: list[str]  # each naming the spec and the place


def check_spec(document: Any, source: Path) -> CheckedSpec:
    """`document`, read from `source`, checked; a `SpecError` when it cannot be used."""
    # Imported here: the validator takes 0.2 s to import, which starting with the bundled specs does not pay.
    from jsonschema.validators import validator_for
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import schema_v30, schema_v31
    from openapi_spec_validator.validation.exceptions import ExtraParametersError, ParameterDuplicateError
    from referencing.exceptions import Unresolvable

    versions = {"3.0": (schema_v30, OpenAPIV30SpecValidator), "3.1": (schema_v31, OpenAPIV31SpecValidator)}
    version = str(document.get("openapi", "")) if isinstance(document, Mapping) else ""
    family = ".".join(version.split(".")[:2])
    if family not in versions:
        raise SpecError(f"{source}: `openapi: {version or '?'}` is not OpenAPI 3.0 or 3.1")
    schema, spec_validator = versions[family]
    warnings = []
    repaired = copy.deepcopy(document)
    for place, parameter in _path_parameters_not_required(repaired):
        warnings.append(f"{source}: {pointer(place)}: a path parameter needs `required: true` (read as required)")
        parameter["required"] = True
    # The pure-Python jsonschema, whose errors keep what failed inside a `oneOf` (jsonschema-rs, which the
    # validator prefers when it is installed, reports only that the `oneOf` failed).
    structure = [_cause(error) for error in validator_for(schema)(schema).iter_errors(repaired)]
    _refuse(source, f"is not valid OpenAPI {family}", [_fault(e.absolute_path, e) for e in structure])
    _resolve_local_refs(repaired, Resolver(repaired, source))
    refused = []
    try:
        for place, error in _beyond_the_schema(spec_validator(repaired, base_uri=source.resolve().as_uri())):
            if isinstance(error, ExtraParametersError | ParameterDuplicateError):
                warnings.append(f"{source}: {_fault(place, error)}")
            else:
                refused.append(_fault(place, error))
    except Unresolvable as error:  # a `$ref` to another file
        raise SpecError(f"{source}: cannot resolve $ref {error.ref!r}") from None
    _refuse(source, f"is not valid OpenAPI {family}", refused)
    return CheckedSpec(repaired, warnings)


def pointer(place: Iterable[str | int]) -> str:
    """`place` (keys and indexes from the root) as a JSON pointer in a `$ref`'s form: `#/paths/~1v1~1jobs/get`."""
    return "#" + "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in place)


def _fault(place: Iterable[str | int], error: ValidationError) -> str:
    return f"{pointer(place)}: {textwrap.shorten(error.message, MESSAGE_CHARACTERS, placeholder=' …')}"


def _refuse(source: Path, what: str, faults: list[str]) -> None:
    if len(faults) == 1:
        raise SpecError(f"{source} {what}: {faults[0]}")
    if faults:
        more = [f"  and {len(faults) - SHOWN} more"] if len(faults) > SHOWN else []
        lines = [f"{source} {what} ({len(faults)} faults):", *(f"  {fault}" for fault in faults[:SHOWN]), *more]
        raise SpecError("\n".join(lines))


def _cause(error: ValidationError) -> ValidationError:
    """What failed inside a `oneOf` or `anyOf`: the most specific error, as `best_match` descends to it, leaving
    out the branch of a Reference Object (`'$ref' is a required property`), which a value without one is not."""
    while error.context:
        references = {
            inner.relative_schema_path[0]
            for inner in error.context
            if inner.validator == "required" and inner.validator_value == ["$ref"]
        }
        candidates = [inner for inner in error.context if inner.relative_schema_path[0] not in references]
        error = min(candidates or error.context, key=relevance)
    return error


def _beyond_the_schema(validator: SpecValidator) -> Iterator[tuple[Place, ValidationError]]:
    """The validator's checks beyond the schema, path item by path item and schema by schema, so that each
    error, which names no place of its own, gets one (its tag check is left out: no command reads tags)."""
    root = validator.root_validator
    paths = validator.schema_path / "paths"
    schemas = validator.schema_path / "components" / "schemas"
    for url, item in paths.items() if paths.exists() else ():
        for error in root.paths_validator.path_validator(str(url), item):
            yield ("paths", str(url)), error
    for name, schema in schemas.items() if schemas.exists() else ():
        for error in root.components_validator.schemas_validator.schema_validator(schema):
            yield ("components", "schemas", str(name)), error


def _path_parameters_not_required(document: dict[str, Any]) -> Iterator[tuple[Place, dict[str, Any]]]:
    """Each parameter written out in the document (not a `$ref`) that is in the path without `required: true`."""
    lists: list[tuple[Place, Any]] = []  # where a list of parameters is, and what is there
    for url, item in _members(document.get("paths")):
        lists.append((("paths", url, "parameters"), item.get("parameters")))
        lists += [
            (("paths", url, method, "parameters"), item[method].get("parameters"))
            for method in HTTP_METHODS
            if isinstance(item.get(method), Mapping)
        ]
    found = [((*where, n), p) for where, ps in lists if isinstance(ps, list) for n, p in enumerate(ps)]
    components = document.get("components")
    if isinstance(components, Mapping):
        found += [(("components", "parameters", name), p) for name, p in _members(components.get("parameters"))]
    for place, parameter in found:
        if isinstance(parameter, dict) and parameter.get("in") == "path" and parameter.get("required") is not True:
            yield place, parameter


def _members(node: Any) -> list[tuple[str, Any]]:
    """The members of `node` whose values are objects, when it is an object."""
    if not isinstance(node, Mapping):
        return []
    return [(str(key), value) for key, value in node.items() if isinstance(value, Mapping)]


def _resolve_local_refs(node: Any, resolver: Resolver) -> None:
    """Every local `$ref` in `node` followed, so that a circular or dangling one is our `SpecError` naming it
    (the validator would recurse forever on the one, and raise a bare lookup error on the other)."""
    if isinstance(node, Mapping):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            resolver.resolve(node)
        for value in node.values():
            _resolve_local_refs(value, resolver)
    elif isinstance(node, list):
        for value in node:
            _resolve_local_refs(value, resolver)
