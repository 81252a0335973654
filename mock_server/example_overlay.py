"""Recorded examples: one YAML overlay file per API, written by `jobs-mock proxy --record DIR` and merged over the
spec's own examples by `jobs-mock serve --examples DIR`.

    # <header>
    api: flatfile
    operations:
      getJob:
        "200":
          getJob-200-3fa2c1d0:
            summary: GET /v1/jobs/us_jb_1
            x-path-parameters: {jobId: us_jb_1}
            value: {...}

Each entry under a status is an OpenAPI Example Object, so it can be pasted into the spec as it is. Recorded
examples come after the spec's (the spec's first stays the default answer); `x-mock-echo` applies to them too.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from jobs_openapi import read_document

from mock_server.echo import BodyTemplate
from mock_server.spec import Api, Example, Operation

SUFFIX = ".examples.yaml"
HEADER = (
    "# Examples recorded from real traffic by `jobs-mock proxy --record`; `jobs-mock serve --examples DIR`\n"
    "# answers with them (Prefer: example=NAME). Each is an OpenAPI Example Object: edit, delete or paste into\n"
    "# the spec. Secrets (Authorization, cookies, --redact fields) were removed before this file was written.\n"
)
Recorded = dict[str, dict[int, dict[str, dict[str, Any]]]]  # operationId -> status -> name -> Example Object


def overlay_path(directory: Path, api: Api) -> Path:
    return directory / f"{api.name}{SUFFIX}"


def read_overlay(path: Path) -> Recorded:
    """The examples of an overlay file ({} when there is none); raises ValueError for a file not of this shape."""
    if not path.is_file():
        return {}
    document = read_document(path) or {}
    operations = document.get("operations") if isinstance(document, dict) else None
    if not isinstance(operations, dict):
        raise ValueError(f"{path}: not a recorded-examples file (it has no `operations` mapping)")
    recorded: Recorded = {}
    for operation_id, statuses in operations.items():
        for status, examples in (statuses or {}).items():
            if not str(status).isdigit() or not isinstance(examples, dict):
                raise ValueError(f"{path}: {operation_id} {status!r} is not a status with named examples")
            for name, example in examples.items():
                if not isinstance(example, dict) or "value" not in example:
                    raise ValueError(f"{path}: example {name!r} of {operation_id} {status} has no `value`")
            recorded.setdefault(str(operation_id), {})[int(status)] = dict(examples)
    return recorded


def write_overlay(path: Path, api: Api, recorded: Recorded) -> None:
    document = {
        "api": api.name,
        "operations": {
            operation_id: {str(status): examples for status, examples in sorted(statuses.items())}
            for operation_id, statuses in recorded.items()
        },
    }
    text = HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _merged(path: Path, operation: Operation, status: int, examples: dict[str, dict[str, Any]]) -> Operation:
    response = operation.responses.get(status)
    where = f"{path.name}: example {{name!r}} of {operation.operation_id} {status}"
    if response is None:
        name = next(iter(examples))
        raise ValueError(
            where.format(name=name)
            + f" is for a status the spec does not document (documented: {operation.documented_statuses()})"
        )
    added = dict(response.examples)
    echo = operation.echo if 200 <= status < 300 else ()
    for name, example in examples.items():
        value = example["value"]
        if name in added:
            raise ValueError(where.format(name=name) + " has the name of an example the spec already has")
        if response.validator is not None:
            error = next(iter(response.validator.iter_errors(value)), None)
            if error is not None:
                place = "/".join(str(token) for token in error.instance_path) or "the body"
                raise ValueError(where.format(name=name) + f" no longer matches the spec: at {place}, {error.message}")
        added[name] = Example(name, value, BodyTemplate(value, echo))
    return replace(operation, responses={**operation.responses, status: replace(response, examples=added)})


def with_recorded_examples(api: Api, directory: Path) -> Api:
    """`api` with the examples recorded for it in `directory` (unchanged when there are none); raises ValueError,
    in one sentence naming the example and the violation, for an example the spec no longer accepts."""
    path = overlay_path(directory, api)
    recorded = read_overlay(path)
    if not recorded:
        return api
    operations = {operation.operation_id: operation for operation in api.operations}
    for operation_id, statuses in recorded.items():
        if operation_id not in operations:
            raise ValueError(
                f"{path.name}: examples are recorded for {operation_id}, an operation {api.name} no longer has"
            )
        for status, examples in statuses.items():
            operations[operation_id] = _merged(path, operations[operation_id], status, examples)
    path_items = {
        template: {method: operations[operation.operation_id] for method, operation in methods.items()}
        for template, methods in api.path_items.items()
    }
    return replace(api, operations=tuple(operations.values()), path_items=path_items)
