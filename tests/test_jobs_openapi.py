"""Reading a spec: every reader of the kit reads the same document, and a broken `$ref` is a clear error."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from jobs_openapi import Resolver, SpecError, load_document, operations

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


def test_a_circular_ref_is_an_error_naming_the_chain() -> None:
    document = {"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}}
    with pytest.raises(SpecError, match=r"circular \$ref #/b -> #/a -> #/b"):
        Resolver(document).resolve({"$ref": "#/b"})


def test_a_circular_ref_stops_every_reader_with_a_clear_error(tmp_path: Path) -> None:
    path = circular(tmp_path)
    message = r"circular \$ref #/components/parameters/Since -> #/components/parameters/Until -> "
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
