"""Reading a spec: every reader of the kit reads the same document, and a broken `$ref` is a clear error."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from jobs_openapi import BUNDLED, Resolver, SpecError, load_document, operations, spec_path
from jobs_openapi.validation import check_spec, pointer

from bench.spec import load_spec as bench_load_spec
from contracts.options import RunOptions
from contracts.results import ExitCode
from contracts.runner import execute, load_spec
from contracts.spec_facts import SpecFacts
from mock_server.spec import load_api
from mock_server.state.spec_data import SpecData
from tests.reference_impl.spec import Spec

SPEC = """\
openapi: 3.0.3
info: {title: Dated, version: 2024-05-01}
x-error-format: flatfile
paths:
  /v1/things:
    get:
      operationId: listThings
      parameters:
        - $ref: '#/components/parameters/Since'
      responses:
        '200':
          description: things
          content:
            application/json:
              examples:
                one: {value: {since: 2024-05-01}}
components:
  parameters:
    Since: {name: since, in: query, schema: {type: string}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def things(tmp_path: Path) -> Any:
    """SPEC, read as every reader reads it."""
    return load_document(str(write(tmp_path, SPEC)))


def circular(tmp_path: Path) -> Path:
    document = yaml.safe_load(SPEC)
    document["components"]["parameters"] = {
        "Since": {"$ref": "#/components/parameters/Until"},
        "Until": {"$ref": "#/components/parameters/Since"},
    }
    return write(tmp_path, yaml.safe_dump(document))


def test_an_unquoted_date_stays_a_string_in_every_reader(tmp_path: Path) -> None:
    path = write(tmp_path, SPEC)
    documents: dict[str, Any] = {
        "jobs_openapi": load_document(str(path)),
        "mock": load_api(str(path)).document,
        "state engine": SpecData.load(path).document,
        "jobs-contract": load_spec(str(path))[1].document,
        "bench": bench_load_spec(str(path)),
        "reference implementation": Spec.load(path).document,
    }
    versions = {reader: document["info"]["version"] for reader, document in documents.items()}
    assert versions == dict.fromkeys(documents, "2024-05-01")
    assert SpecData.load(path).example("listThings") == {"since": "2024-05-01"}


@pytest.mark.parametrize("api", sorted(BUNDLED))
def test_the_bundled_specs_pass_the_check_without_a_warning(api: str) -> None:
    document = load_document(api)
    assert check_spec(document, spec_path(api)) == (document, [])


def test_what_the_validator_refuses_is_an_error_naming_each_place_and_a_few_at_most(tmp_path: Path) -> None:
    document = things(tmp_path)
    del document["info"]
    del document["paths"]["/v1/things"]["get"]["responses"]["200"]["description"]
    in_body = {"name": "id", "in": "body", "schema": {"type": "string"}}
    document["paths"]["/v1/things"]["get"]["parameters"].append(in_body)
    with pytest.raises(SpecError) as refused:
        check_spec(document, tmp_path / "spec.yaml")
    assert str(refused.value).splitlines() == [
        f"{tmp_path / 'spec.yaml'} is not valid OpenAPI 3.0 (3 faults):",
        "  #: 'info' is a required property",
        "  #/paths/~1v1~1things/get/parameters/1/in: 'body' is not one of ['path']",
        "  #/paths/~1v1~1things/get/responses/200: 'description' is a required property",
    ]
    document = things(tmp_path)
    document["paths"] = {f"/v1/things/{n}": {"get": {}} for n in range(7)}
    with pytest.raises(SpecError) as refused:
        check_spec(document, tmp_path / "spec.yaml")
    assert str(refused.value).splitlines()[1:] == [
        *(f"  #/paths/~1v1~1things~1{n}/get: 'responses' is a required property" for n in range(5)),
        "  and 2 more",
    ]


def test_an_operation_id_used_twice_and_a_path_parameter_never_described_are_refused(tmp_path: Path) -> None:
    document = things(tmp_path)
    document["paths"]["/v1/things/{thingId}"] = {
        "get": {"operationId": "listThings", "responses": {"200": {"description": "a thing"}}}
    }
    with pytest.raises(SpecError) as refused:
        check_spec(document, tmp_path / "spec.yaml")
    assert str(refused.value).splitlines()[1:] == [
        "  #/paths/~1v1~1things~1{thingId}: Operation ID 'listThings' for 'get' in '/v1/things/{thingId}' is not unique",
        "  #/paths/~1v1~1things~1{thingId}: Path parameter 'thingId' for 'get' operation in '/v1/things/{thingId}' "
        "was not resolved",
    ]


def test_a_path_parameter_without_required_is_read_as_required_with_a_warning_naming_it(tmp_path: Path) -> None:
    document = things(tmp_path)
    thing_id = {"name": "thingId", "in": "path", "schema": {"type": "string"}}
    document["paths"]["/v1/things/{thingId}"] = {
        "parameters": [thing_id],
        "get": {"operationId": "getThing", "responses": {"200": {"description": "a thing"}}},
    }
    checked = check_spec(document, tmp_path / "spec.yaml")
    place = "#/paths/~1v1~1things~1{thingId}/parameters/0"
    assert checked.warnings == [
        f"{tmp_path / 'spec.yaml'}: {place}: a path parameter needs `required: true` (read as required)"
    ]
    assert Resolver(checked.document).resolve({"$ref": place}) == {**thing_id, "required": True}
    assert "required" not in thing_id  # the document as read is left as it was


def test_a_pointer_names_a_place_as_a_ref_does() -> None:
    document = {"paths": {"/v1/jobs/{jobId}": {"get": {"parameters": [{"name": "a~b"}]}}}}
    place = ("paths", "/v1/jobs/{jobId}", "get", "parameters", 0)
    assert pointer(place) == "#/paths/~1v1~1jobs~1{jobId}/get/parameters/0"
    assert Resolver(document).resolve({"$ref": pointer(place)}) == {"name": "a~b"}
    assert pointer(()) == "#"


def test_a_circular_ref_is_an_error_naming_the_chain() -> None:
    document = {"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}}
    with pytest.raises(SpecError, match=r"circular \$ref #/b -> #/a -> #/b"):
        Resolver(document).resolve({"$ref": "#/b"})


def test_a_circular_ref_stops_every_reader_with_a_clear_error(tmp_path: Path) -> None:
    path = circular(tmp_path)
    # The chain starts where a reader met it: at either of the two.
    message = r"circular \$ref (#/components/parameters/(Since|Until) -> ){2}#/components/parameters/(Since|Until)"
    with pytest.raises(SpecError, match=message):
        load_api(str(path))
    with pytest.raises(SpecError, match=message):
        SpecFacts(load_document(str(path))).fixed_headers  # noqa: B018  (the property is what resolves)
    result = execute(RunOptions(api=str(path), url="http://127.0.0.1:9"), stream=io.StringIO())
    assert result.exit_code == ExitCode.PROBLEM
    assert result.problem is not None
    assert str(path) in result.problem
    assert "circular $ref" in result.problem


def test_a_ref_to_nothing_or_to_another_file_is_an_error() -> None:
    resolver = Resolver({"components": {}}, source="spec.yaml")
    with pytest.raises(SpecError, match=r"spec.yaml: \$ref '#/components/schemas/Job' points to nothing"):
        resolver.resolve({"$ref": "#/components/schemas/Job"})
    with pytest.raises(SpecError, match="only local references"):
        resolver.resolve({"$ref": "other.yaml#/components/schemas/Job"})


def test_escaped_tokens_in_a_ref_are_unescaped() -> None:
    document = {"paths": {"/v1/jobs": {"get": {"operationId": "listJobs"}}}, "x-~odd": {"value": 1}}
    resolver = Resolver(document)
    assert resolver.resolve({"$ref": "#/paths/~1v1~1jobs"}) == {"get": {"operationId": "listJobs"}}
    assert resolver.resolve({"$ref": "#/x-~0odd"}) == {"value": 1}


def test_operations_follow_path_item_refs_in_openapi_method_order() -> None:
    shared = {"post": {"operationId": "create"}, "get": {"operationId": "list"}}
    document = {
        "paths": {"/jobs": {"$ref": "#/x-shared"}, "/jobs/{id}": {"delete": {}, "parameters": []}},
        "x-shared": shared,
    }
    found = [(entry.path, entry.method) for entry in operations(document)]
    assert found == [("/jobs", "get"), ("/jobs", "post"), ("/jobs/{id}", "delete")]
