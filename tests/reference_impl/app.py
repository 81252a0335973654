"""A Flask app serving both Jobs APIs from their specs: routing, auth, validation and error shapes are generic;
each API's behaviour lives in its handler class (`FlatfileJobs`, `SiftJobs`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify, request
from jobs_openapi import spec_path
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .errors import ApiError, render
from .faults import Fault
from .flatfile import FlatfileJobs
from .sift import SiftJobs
from .spec import Operation, Spec, Violation, coerce


@dataclass
class Call:
    """One validated request, as a handler sees it."""

    path: dict[str, Any]
    query: dict[str, Any]
    body: Any


MAX_BODY_BYTES = 1024 * 1024
Handler = Callable[[Call], tuple[int, Any]]


@dataclass
class MountedApi:
    spec: Spec
    handlers: object

    def owns(self, path: str) -> bool:
        return path.startswith(self.spec.base_path + "/")


def create_app(*, token: str, faults: Iterable[Fault] = ()) -> Flask:
    faults = frozenset(faults)
    app = Flask("reference_impl")
    flatfile, sift = Spec.load(spec_path("flatfile")), Spec.load(spec_path("sift"))
    apis = [MountedApi(flatfile, FlatfileJobs(flatfile, faults)), MountedApi(sift, SiftJobs(sift, faults))]
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    for api in apis:
        for operation in api.spec.operations:
            _mount(app, api, operation, token=token, faults=faults)

    seen: list[tuple[str, str]] = []
    app.extensions["requests_seen"] = seen

    @app.before_request
    def record() -> None:
        seen.append((request.method, request.path))

    @app.errorhandler(HTTPException)
    def routing_error(error: HTTPException) -> Response:
        api = next((api for api in apis if api.owns(request.path)), apis[0])
        response = render(ApiError(error.code or 500, error.description or error.name), api.spec.error_format)
        if isinstance(error, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(api.spec.allowed_methods(request.path))
        return response

    return app


def _mount(app: Flask, api: MountedApi, operation: Operation, *, token: str, faults: frozenset[Fault]) -> None:
    handler: Handler = getattr(api.handlers, operation.operation_id)
    rule = api.spec.base_path + operation.path.replace("{", "<").replace("}", ">")
    validate_body = Fault.INVALID_BODY_ACCEPTED not in faults

    def view(**path_params: str) -> Response:
        try:
            if Fault.AUTH_IGNORED not in faults:
                _authenticate(token)
            call = _validated_call(operation, path_params, validate_body=validate_body)
            status, body = handler(call)
        except ApiError as error:
            wrong_shape = Fault.ERROR_SHAPE_WRONG in faults and error.status == 404
            return render(error, api.spec.error_format, wrong_shape=wrong_shape)
        response = jsonify(body)
        response.status_code = status
        if Fault.WRONG_CONTENT_TYPE in faults and operation.operation_id == "getJob":
            response.mimetype = "text/plain"
        return response

    app.add_url_rule(
        rule,
        endpoint=f"{api.spec.error_format}:{operation.operation_id}",
        view_func=view,
        methods=[operation.method],
        provide_automatic_options=False,
    )


def _authenticate(token: str) -> None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or credentials != token:
        raise ApiError(401, "missing or invalid bearer token")


def _validated_call(operation: Operation, path_params: dict[str, str], *, validate_body: bool) -> Call:
    violations: list[Violation] = []
    values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
    sources = {"path": path_params, "query": request.args, "header": request.headers}
    for parameter in operation.parameters:
        raw = sources[parameter.location].get(parameter.name)
        if raw is None:
            if parameter.required:
                violations.append(Violation(parameter.name, f"{parameter.location} parameter is required"))
            continue
        value = coerce(raw, parameter.schema)
        values[parameter.location][parameter.name] = value
        violations += operation.validate(value, parameter.schema, parameter.name)
    body = _body(operation, violations) if validate_body else request.get_json(silent=True)
    if violations:
        raise ApiError(400, "invalid request: " + "; ".join(f"{v.field}: {v.message}" for v in violations), violations)
    return Call(path=values["path"], query=values["query"], body=body)


def _body(operation: Operation, violations: list[Violation]) -> Any:
    if operation.body_schema is None:
        return None
    raw = request.get_data()
    if not raw:
        if operation.body_required:
            violations.append(Violation("body", "a JSON request body is required"))
        return None
    if request.mimetype != "application/json":
        violations.append(Violation("body", f"Content-Type must be application/json, not {request.mimetype or 'none'}"))
        return None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        violations.append(Violation("body", f"not valid UTF-8 JSON: {error}"))
        return None
    violations += operation.validate(body, operation.body_schema, "body")
    return body
