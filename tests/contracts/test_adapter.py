"""What `contracts/schemathesis_adapter.py` relies on in Schemathesis' internals: an upgrade that changes one of
these fails here, by name, before it fails a contract run in some less obvious way."""

from __future__ import annotations

import inspect

from contracts import schemathesis_adapter as adapter


def test_the_phases_the_runner_names_exist() -> None:
    names = {phase.value for phase in adapter.PhaseName}
    assert {"probing", "examples", "coverage", "fuzzing", "stateful"} <= names
    assert set(adapter.ELASTIC_PHASES) == {adapter.PhaseName.FUZZING, adapter.PhaseName.STATEFUL_TESTING}
    assert adapter.PhaseName.PROBING in adapter.INTERNAL_PHASES


def test_the_execution_context_keeps_the_books_the_runner_reads() -> None:
    parameters = inspect.signature(adapter.ExecutionContext).parameters
    assert {"config", "statistic", "errors", "stop_reason"} <= set(parameters)
    assert callable(adapter.ExecutionContext.on_event)
    assert {"failures", "total_failures"} <= {name for name, _ in inspect.getmembers(adapter.Statistic())}
    assert {reason.value for reason in adapter.StopReason} >= {
        "completed",
        "max_time",
        "interrupted",
        "server_unavailable",
    }


def test_the_events_the_runner_handles_carry_what_it_reads() -> None:
    events = adapter.events
    for name in ("EngineEvent", "PhaseStarted", "PhaseFinished", "ScenarioFinished", "NonFatalError", "EngineFinished"):
        assert isinstance(getattr(events, name), type), name
    assert {"info", "value", "label", "phase"} <= set(events.NonFatalError.__slots__)
    assert {"recorder", "status", "phase", "is_test_scenario"} <= {
        *events.ScenarioFinished.__slots__,
        *dir(events.ScenarioFinished),
    }


def test_checks_can_send_follow_up_requests() -> None:
    from schemathesis.checks import CheckInternals

    source = inspect.getsource(CheckInternals)
    for member in ("record_case", "record_response", "transport_kwargs"):
        assert member in source, member


def test_positive_data_statuses_are_the_defaults_we_extend() -> None:
    assert "2xx" in adapter.POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES


def test_our_checks_are_registered() -> None:
    import contracts.checks  # noqa: F401

    assert {"job_matches_path", "deleted_resource_is_gone", "not_a_server_error"} <= adapter.known_check_names()


def test_the_probes_the_run_sends_itself_exist() -> None:
    from schemathesis.engine.run import probes

    assert set(probes.PROBES) == {probes.NullByteInHeader, probes.UnsafePathDecoder}
    assert list(inspect.signature(probes.send).parameters) == ["probe", "ctx"]
    assert callable(adapter.Engine._create_execution_plan)


def test_a_loaded_schema_adapts_and_takes_the_runs_limiter() -> None:
    import schemathesis
    from jobs_openapi import spec_path

    from contracts.rate_limit import build_limiter

    schema = schemathesis.openapi.from_path(spec_path("sift"))
    adapter.adapt_to(schema, adapter.Capabilities())
    limiter = build_limiter("5/s")
    adapter.use_rate_limiter(schema, limiter)
    assert schema.config.rate_limit_for(operation=None) is limiter
    assert {operation.label for operation in adapter.operations_of(schema)} == {
        "GET /api/v1/jobs",
        "POST /api/v1/jobs/{jobId}:retry",
        "POST /api/v1/jobs/{jobId}:cancel",
    }


def test_json_pointers_resolve_with_escapes_and_say_when_nothing_is_there() -> None:
    document = {"data": [{"a/b": {"~c": 1}}]}
    assert adapter.json_pointer(document, "/data/0/a~1b/~0c") == (True, 1)
    assert adapter.json_pointer(document, "/data/1") == (False, None)


def test_link_expressions_read_the_response_and_the_request() -> None:
    import schemathesis
    from schemathesis.core.transport import Response

    schema = schemathesis.openapi.from_dict(
        {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/jobs/{id}": {
                    "get": {
                        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "ok"}},
                    }
                }
            },
        }
    )
    case = schema["/jobs/{id}"]["GET"].Case(path_parameters={"id": "j1"})
    response = Response(
        status_code=200,
        headers={},
        content=b'{"data": {"id": "j2"}}',
        request=None,
        elapsed=0.0,
        verify=False,  # type: ignore[arg-type]
    )
    assert adapter.link_value("$response.body#/data/id", case, response) == (True, "j2")
    assert adapter.link_value("$request.path.id", case, response) == (True, "j1")
    assert adapter.link_value("$response.body#/data/missing", case, response)[0] is False
