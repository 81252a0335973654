"""The benchmark harness's own logic (bench/), without Prism, wrk or any server: fast and offline."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import time
import warnings
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from openapi_schema_validator import OAS30Validator

from bench import stateful
from bench.commands import mock_command, mock_proxy_command, mockoon_command, relay_command, stateful_command
from bench.gate import Answer, conformance_problems, judge, note_unchecked, shape_differences
from bench.harness import PROXY, STATEFUL, left_out
from bench.model import (
    CEILING,
    DIRECT,
    FULL,
    MOCK,
    MOCK_PROXY,
    MOCK_QUIET,
    MOCKOON,
    PRISM,
    PRISM_PROXY,
    RELAY_FLOOR,
    Measurement,
    RunResult,
    ServerCommand,
    unexpected_answers,
    workers_label,
)
from bench.prism_spec import base_path, fold_base_path
from bench.proxied import PROXY_SCENARIO
from bench.report import (
    chart,
    evaluate_targets,
    growth_table,
    proxy_table,
    scaling_table,
    stateful_table,
    summarize,
    targets_text,
)
from bench.scenarios import STATE_CREATE, STATE_GET, STATE_LIST, all_scenarios, stateful_scenarios
from bench.servers import RunningServer
from bench.spec import first_request_example, load_spec
from bench.tools import BENCH_DIR
from bench.wrk import RESULT_MARKER, LoadResult, lua_script, lua_string, parse_result
from tests.support.servers import AsgiClient
from tests.support.stub_server import stub_server

SCENARIOS = {scenario.name: scenario for scenario in all_scenarios()}

WRK_STDOUT = """Running 5s test @ http://127.0.0.1:4010/v1/jobs/us_jb_1
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.10ms    1.20ms  30.00ms   90.00%
  40000 requests in 5.00s, 60.00MB read
Requests/sec:   8000.00
BENCH_RESULT {"requests":40000,"duration_us":5000000,"p50_us":3900,"p90_us":5100,"p99_us":9800,"connect_errors":0,"read_errors":1,"write_errors":0,"timeouts":2,"status_errors":0}
"""


def load(requests: int = 1000, p99_us: int = 10_000, status_errors: int = 0, timeouts: int = 0) -> LoadResult:
    return LoadResult(requests, 1_000_000, p99_us // 3, p99_us // 2, p99_us, 0, 0, 0, timeouts, status_errors)


# --- Prism's copy of a spec ------------------------------------------------------------------------------


def test_flatfile_base_path_is_folded_into_every_path_for_prism() -> None:
    spec = load_spec("flatfile")
    folded = fold_base_path(spec)
    assert base_path(spec) == "/v1"
    assert "servers" not in folded
    assert list(folded["paths"]) == [f"/v1{path}" for path in spec["paths"]]
    assert folded["paths"]["/v1/jobs/{jobId}"] is spec["paths"]["/jobs/{jobId}"]
    assert folded["components"] is spec["components"]


def test_sift_paths_stay_as_they_are_because_its_server_url_has_no_path() -> None:
    spec = load_spec("sift")
    assert base_path(spec) == ""
    assert list(fold_base_path(spec)["paths"]) == list(spec["paths"])


@pytest.mark.parametrize(
    ("servers", "expected"),
    [([{"url": "https://h.example/v2/"}], "/v2"), ([{"url": "/api"}], "/api"), ([], ""), (None, "")],
)
def test_base_path_of_server_urls(servers: list[dict[str, str]] | None, expected: str) -> None:
    assert base_path({"servers": servers, "paths": {}}) == expected


# --- wrk -------------------------------------------------------------------------------------------------


def test_wrk_result_line_is_parsed_among_wrk_own_report() -> None:
    result = parse_result(WRK_STDOUT)
    assert result.requests == 40000
    assert result.requests_per_second == pytest.approx(8000.0)
    assert (result.p50_us, result.p90_us, result.p99_us) == (3900, 5100, 9800)
    assert result.socket_errors == 3


def test_wrk_output_without_a_result_line_is_an_error_that_shows_the_output() -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        parse_result(WRK_STDOUT.replace(RESULT_MARKER, "SOMETHING ELSE "))


def _lua_unescape(literal: str) -> str:
    assert literal.startswith('"') and literal.endswith('"')
    raw = re.sub(r"\\(\d{3})", lambda match: chr(int(match.group(1))), literal[1:-1])
    return raw.encode("latin-1").decode()


@pytest.mark.parametrize("text", ['{"a": "b\\\\c"}', "line\nbreak\ttab", "ünïcødé ✓", "]]==]"])
def test_lua_string_literal_round_trips_and_is_plain_ascii(text: str) -> None:
    literal = lua_string(text)
    assert literal.isascii() and literal.isprintable()
    assert '"' not in literal[1:-1] and not re.search(r"\\(?!\d{3})", literal)
    assert _lua_unescape(literal) == text


def test_lua_script_sets_method_every_header_and_the_body() -> None:
    scenario = SCENARIOS["replace-plan"]
    script = lua_script(scenario)
    assert 'wrk.method = "PUT"' in script
    for name, value in scenario.headers.items():
        assert f"wrk.headers[{lua_string(name)}] = {lua_string(value)}" in script
    assert f"wrk.body = {lua_string(scenario.body.decode())}" in script
    assert "function done(summary, latency, requests)" in script
    assert "wrk.body" not in lua_script(SCENARIOS["get-job"])


# --- scenarios -------------------------------------------------------------------------------------------


def test_scenarios_cover_the_issue_list() -> None:
    assert {(s.name, s.method, s.expected_status) for s in SCENARIOS.values()} == {
        ("get-job", "GET", 200),
        ("list-jobs", "GET", 200),
        ("replace-plan", "PUT", 200),
        ("invalid-body", "PUT", 400),
        ("sift-retry", "POST", 200),
        ("unknown-path", "GET", 404),
    }
    assert SCENARIOS["sift-retry"].path.startswith("/api/v1/jobs/") and SCENARIOS["sift-retry"].path.endswith(":retry")
    assert [s.name for s in SCENARIOS.values() if s.measures_ceiling] == ["get-job"]


def test_replace_plan_sends_the_documented_body_and_invalid_body_breaks_its_schema() -> None:
    spec = load_spec("flatfile")
    assert json.loads(SCENARIOS["replace-plan"].body) == first_request_example(spec, "replaceJobPlan")
    schema = {"$ref": "#/components/schemas/JobExecutionPlanRequest", "components": spec["components"]}
    assert OAS30Validator(schema).is_valid(json.loads(SCENARIOS["replace-plan"].body))
    assert not OAS30Validator(schema).is_valid(json.loads(SCENARIOS["invalid-body"].body))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_knows_the_schema_its_answer_must_follow(name: str) -> None:
    assert SCENARIOS[name].documented_schema()


# --- the correctness gate --------------------------------------------------------------------------------


def test_same_shape_with_different_values_has_no_difference() -> None:
    left = {"data": {"id": "us_jb_1", "progress": 100, "tags": ["a"], "outcome": None, "ok": True}}
    right = {"data": {"id": "us_jb_2", "progress": 12.5, "tags": [], "outcome": None, "ok": False}}
    assert shape_differences(left, right) == []


def test_shape_differences_name_the_place_and_both_sides() -> None:
    left = {"data": {"id": "x", "extra": 1, "items": [{"n": 1}]}}
    right = {"data": {"id": 3, "items": [{"n": "1"}]}}
    assert shape_differences(left, right) == [
        "/data: key 'extra' only in the first",
        "/data/id: string vs number",
        "/data/items/0/n: number vs string",
    ]
    assert shape_differences(True, 1) == ["/: boolean vs number"]


def _job_body(job_id: str) -> bytes:
    example = json.loads(json.dumps(load_spec("flatfile")["components"]["examples"]["JobComplete"]["value"]))
    example["data"]["id"] = job_id
    return json.dumps(example).encode()


def test_gate_accepts_equivalent_answers() -> None:
    verdict = judge(SCENARIOS["get-job"], Answer(200, _job_body("us_jb_bench42")), Answer(200, _job_body("us_jb_1")))
    assert verdict.problems == [] and verdict.notes == []


def test_gate_refuses_a_different_status_and_says_which_server() -> None:
    verdict = judge(SCENARIOS["get-job"], Answer(200, _job_body("a")), Answer(401, b'{"errors":[{"message":"no"}]}'))
    assert verdict.problems == ["prism answered 401, expected 200"]


def test_gate_refuses_a_body_that_is_not_json() -> None:
    verdict = judge(SCENARIOS["get-job"], Answer(200, b"<html>"), Answer(200, _job_body("a")))
    assert verdict.problems == ["mock body is not JSON: b'<html>'"]


def test_gate_refuses_a_mock_body_outside_the_documented_schema() -> None:
    wrong = json.dumps({"data": {"id": 42}}).encode()
    verdict = judge(SCENARIOS["get-job"], Answer(200, wrong), Answer(200, _job_body("a")))
    assert any(problem.startswith("mock body /data") for problem in verdict.problems)


def test_gate_refuses_documented_bodies_of_different_shapes() -> None:
    mock = json.loads(_job_body("a"))
    del mock["data"]["outcome"]
    verdict = judge(SCENARIOS["get-job"], Answer(200, json.dumps(mock).encode()), Answer(200, _job_body("a")))
    assert verdict.problems == ["shape /data: key 'outcome' only in the second (mock vs prism)"]


def test_gate_notes_prism_own_error_shape_without_refusing() -> None:
    mock = Answer(404, b'{"errors": [{"key": "path", "message": "no operation at /v1/no-such-resource"}]}')
    prism = Answer(404, b'{"type": "https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR", "status": 404}')
    verdict = judge(SCENARIOS["unknown-path"], mock, prism)
    assert verdict.problems == []
    assert len(verdict.notes) == 1 and "not in the documented shape" in verdict.notes[0]


def test_gate_holds_the_mock_to_the_error_shape_on_an_unknown_path() -> None:
    prism = Answer(404, b'{"type": "about:blank", "status": 404}')
    verdict = judge(SCENARIOS["unknown-path"], Answer(404, b'{"detail": "Not Found"}'), prism)
    assert "mock body /: 'errors' is a required property" in verdict.problems


# --- figures and targets ---------------------------------------------------------------------------------


def test_unexpected_answers_count_the_wrong_status_class_and_socket_errors() -> None:
    assert unexpected_answers(SCENARIOS["get-job"], load(status_errors=3, timeouts=1)) == 4
    assert unexpected_answers(SCENARIOS["unknown-path"], load(requests=100, status_errors=100)) == 0
    assert unexpected_answers(SCENARIOS["unknown-path"], load(requests=100, status_errors=90)) == 10


def _measurement(
    scenario: str, server: str, requests: int, p99_us: int, repeat: int = 0, jobs: int = 0, connections: int = 32
) -> Measurement:
    return Measurement(
        scenario,
        server,
        connections,
        repeat,
        load(requests, p99_us),
        90.0,
        2**20 * (repeat + 1),
        0,
        0.1 * repeat,
        jobs=jobs,
    )


def test_summaries_take_medians_over_repeats_and_the_largest_rss() -> None:
    runs = [
        _measurement("get-job", MOCK, requests, p99, repeat)
        for repeat, (requests, p99) in enumerate([(100, 9000), (300, 1000), (200, 5000)])
    ]
    (summary,) = summarize(runs)
    assert (summary.requests_per_second, summary.p99_ms, summary.rss_mb, summary.other_cores) == (200, 5.0, 3, 0.1)


def test_summaries_keep_store_sizes_apart() -> None:
    runs = [
        _measurement(STATE_GET, "sqlite", 1000, 2000, jobs=100),
        _measurement(STATE_GET, "sqlite", 500, 4000, jobs=10_000),
    ]
    assert sorted((s.jobs, s.requests_per_second) for s in summarize(runs)) == [(100, 1000), (10_000, 500)]


STATIC_RUNS = [
    _measurement("get-job", MOCK, 8600, 3000),
    _measurement("get-job", MOCK_QUIET, 10_000, 2000),
    _measurement("get-job", PRISM, 2000, 10_000),  # quiet: 5× req/s, p99 0.2×: both pass
    _measurement("get-job", MOCKOON, 900, 40_000),  # default level: 8600 / 900 = 9.6×: fail
    _measurement("get-job", CEILING, 13_000, 1000),  # 10000 / 13000 = 0.77: pass
    _measurement("sift-retry", MOCK, 2000, 3000),
    _measurement("sift-retry", MOCK_QUIET, 2500, 3000),  # default log 0.8×: fail
    _measurement("sift-retry", PRISM, 2000, 10_000),  # 1.25× req/s: fail; p99 0.3×: fail
]


def _result(measurements: list[Measurement], **fields: object) -> RunResult:
    startup = {MOCK: [0.6, 0.5, 0.7], PRISM: [1.2, 1.4, 1.6], MOCKOON: [1.0]}
    return RunResult(FULL, startup, measurements, [], [], **fields)  # type: ignore[arg-type]


def test_static_targets_pass_and_fail_on_the_issue_ratios() -> None:
    result = _result(STATIC_RUNS, served_by={MOCKOON: ["get-job"]})
    scenarios = [SCENARIOS["get-job"], SCENARIOS["sift-retry"]]
    lines = targets_text(evaluate_targets(result, summarize(STATIC_RUNS), scenarios))
    assert lines[:11] == [
        "PASS  get-job: req/s vs prism at 32 connections: 5.00× (goal ≥ 5×)",
        "PASS  get-job: p99 vs prism at 32 connections: 0.20× (goal ≤ 0.2×)",
        "FAIL  get-job: req/s vs Mockoon at 32 connections: 9.56× (goal ≥ 10×)",
        "PASS  get-job: default log level vs --log-level warning, req/s at 32 connections: 0.86× (goal ≥ 0.85×)",
        "PASS  get-job: req/s vs bare Starlette at 32 connections: 0.77× (goal ≥ 0.75×)",
        "FAIL  sift-retry: req/s vs prism at 32 connections: 1.25× (goal ≥ 5×)",
        "FAIL  sift-retry: p99 vs prism at 32 connections: 0.30× (goal ≤ 0.2×)",
        "NOT CHECKED  sift-retry: req/s vs Mockoon at 32 connections: Mockoon does not answer it as documented "
        "(gate notes)",
        "FAIL  sift-retry: default log level vs --log-level warning, req/s at 32 connections: 0.80× (goal ≥ 0.85×)",
        "FAIL  start-up to first response vs Prism: 0.43× (goal ≤ 0.4×)",
        "NOT CHECKED  state-get (sqlite, 1,000 jobs): req/s vs static get-job: not measured in this run (goal ≥ 0.5×)",
    ]


def test_every_target_of_a_missing_step_is_listed_as_not_checked() -> None:
    result = _result(STATIC_RUNS, served_by={MOCKOON: ["get-job"]})
    targets = evaluate_targets(result, summarize(STATIC_RUNS), [SCENARIOS["get-job"]])
    unchecked = [t.name for t in targets if t.passed is None]
    assert unchecked == [
        "state-get (sqlite, 1,000 jobs): req/s vs static get-job",
        "state-create (sqlite, 1,000 jobs): req/s vs static get-job",
        "state-get (sqlite, 10,000 jobs): req/s vs static get-job",
        "state-create (sqlite, 10,000 jobs): req/s vs static get-job",
        "state-list (sqlite): req/s with 10,000 jobs vs with 100 (within 2×)",
        f"{PROXY_SCENARIO}: p99 added over going direct at 32 connections",
        f"{PROXY_SCENARIO}: req/s vs prism proxy at 32 connections",
    ]


def test_the_report_names_the_steps_the_command_line_left_out() -> None:
    assert left_out(FULL, frozenset({STATEFUL, PROXY})) == []
    assert left_out(replace(FULL, scaling_workers=()), frozenset({PROXY})) == [
        "the stateful step: not asked for (`--scenario` names it)",
        "scaling with `--workers N`: `--scaling-workers` is empty",
    ]


def test_stateful_targets_compare_with_static_get_job_and_the_page_at_100_jobs() -> None:
    state = [
        _measurement(STATE_GET, "sqlite", 5000, 4000, jobs=1000),  # 0.5× of 10,000: pass
        _measurement(STATE_CREATE, "sqlite", 2000, 9000, jobs=1000),  # 0.2×: fail
        _measurement(STATE_GET, "sqlite", 6000, 4000, jobs=10_000),
        _measurement(STATE_CREATE, "sqlite", 3000, 9000, jobs=10_000),
        _measurement(STATE_LIST, "sqlite", 4000, 5000, jobs=100),
        _measurement(STATE_LIST, "sqlite", 1900, 9000, jobs=10_000),  # 0.475×: more than 2× slower, fail
        _measurement(STATE_GET, "memory", 1, 1, jobs=1000),  # another store: not a target
    ]
    result = _result(STATIC_RUNS, stateful=state, served_by={MOCKOON: ["get-job"]})
    targets = evaluate_targets(result, summarize(STATIC_RUNS), [SCENARIOS["get-job"]], summarize(state))
    stateful_lines = [line for line in targets_text(targets) if "state-" in line]
    assert stateful_lines == [
        "PASS  state-get (sqlite, 1,000 jobs): req/s vs static get-job: 0.50× (goal ≥ 0.5×)",
        "FAIL  state-create (sqlite, 1,000 jobs): req/s vs static get-job: 0.20× (goal ≥ 0.25×)",
        "PASS  state-get (sqlite, 10,000 jobs): req/s vs static get-job: 0.60× (goal ≥ 0.5×)",
        "PASS  state-create (sqlite, 10,000 jobs): req/s vs static get-job: 0.30× (goal ≥ 0.25×)",
        "FAIL  state-list (sqlite): req/s with 10,000 jobs vs with 100 (within 2×): 0.47× (goal ≥ 0.5×)",
    ]


def test_proxy_targets_and_table_measure_each_proxy_against_going_direct() -> None:
    proxy = [
        _measurement(PROXY_SCENARIO, DIRECT, 12_000, 2000),
        _measurement(PROXY_SCENARIO, MOCK_PROXY, 6000, 3500),
        _measurement(PROXY_SCENARIO, PRISM_PROXY, 1000, 30_000),
        _measurement(PROXY_SCENARIO, RELAY_FLOOR, 9000, 2500),
    ]
    result = _result(STATIC_RUNS, proxy=proxy, served_by={MOCKOON: ["get-job"]})
    targets = evaluate_targets(result, summarize(STATIC_RUNS), [SCENARIOS["get-job"]], [], summarize(proxy))
    assert targets_text(targets)[-2:] == [
        f"PASS  {PROXY_SCENARIO}: p99 added over going direct at 32 connections: +1.50 ms (goal ≤ 2 ms)",
        f"PASS  {PROXY_SCENARIO}: req/s vs prism proxy at 32 connections: 6.00× (goal ≥ 3×)",
    ]
    slower = [*proxy[:1], _measurement(PROXY_SCENARIO, MOCK_PROXY, 2500, 5000), *proxy[2:]]
    targets = evaluate_targets(result, summarize(STATIC_RUNS), [SCENARIOS["get-job"]], [], summarize(slower))
    assert targets_text(targets)[-2:] == [
        f"FAIL  {PROXY_SCENARIO}: p99 added over going direct at 32 connections: +3.00 ms (goal ≤ 2 ms)",
        f"FAIL  {PROXY_SCENARIO}: req/s vs prism proxy at 32 connections: 2.50× (goal ≥ 3×)",
    ]
    rows = proxy_table(summarize(proxy))
    assert rows[2].startswith("| 32 | direct | — | 1.00 | 12,000 |")
    assert rows[3].startswith("| 32 | jobs-mock proxy | +1.50 | 0.50 | 6,000 |")
    assert rows[4].startswith("| 32 | prism proxy | +28.00 | 0.08 | 1,000 |")
    assert rows[5].startswith("| 32 | relay floor | +0.50 | 0.75 | 9,000 |")
    assert proxy_table([]) == ["Not measured in this run."]


def test_stateful_rows_go_by_store_then_size_then_scenario_and_growth_per_store() -> None:
    state = [
        _measurement(STATE_CREATE, "sqlite", 100, 1000, jobs=100),
        _measurement(STATE_GET, "sqlite", 100, 1000, jobs=1000),
        _measurement(STATE_GET, "sqlite", 100, 1000, jobs=100, connections=1),
        _measurement(STATE_LIST, "memory", 100, 1000, jobs=100),
    ]
    rows = stateful_table(summarize(state))
    assert [row.split(" | ")[:4] for row in rows[2:]] == [
        ["| memory", "100", STATE_LIST, "32"],
        ["| sqlite", "100", STATE_GET, "1"],
        ["| sqlite", "100", STATE_CREATE, "32"],
        ["| sqlite", "1,000", STATE_GET, "32"],
    ]
    result = _result([], rss_growth_mb={"memory": 27.66, "sqlite": 3.04})
    assert growth_table(result)[2:] == ["| memory | 27.7 |", "| sqlite | 3.0 |"]
    assert stateful_table([]) == growth_table(_result([])) == ["Not measured in this run."]


def test_scaling_rows_are_ordered_by_workers_and_relative_to_one_worker() -> None:
    scaling = [
        _measurement("get-job", workers_label(2), requests, 2000, repeat)
        for repeat, requests in enumerate([25_000, 27_000, 26_000])
    ] + [_measurement("get-job", workers_label(1), 13_000, 4000, repeat) for repeat in range(3)]
    result = RunResult(FULL, {}, [], [], [], scaling)
    rows = scaling_table(result)
    assert rows[2].startswith("| `jobs-mock --workers 1` | 13,000 | 1.00 |")
    assert rows[3].startswith("| `jobs-mock --workers 2` | 26,000 | 2.00 | ")
    assert "| 2.00 | " in rows[3] and rows[3].count("|") == 10
    assert scaling_table(RunResult(FULL, {}, [], [], [])) == ["Not measured in this run."]


# --- Mockoon, the stateful and proxy steps ---------------------------------------------------------------


def test_mockoon_answers_are_noted_never_refused_and_a_wrong_status_leaves_the_scenario_out() -> None:
    served = note_unchecked(SCENARIOS["get-job"], "Mockoon", Answer(200, b'{"data": {"id": ""}}'))
    assert served.serves
    assert served.notes == [
        "Mockoon body /data: 'type' is a required property; Mockoon body /data: 'operation' is a required property; "
        "Mockoon body /data: 'source' is a required property; and 3 more"
    ]
    wrong = note_unchecked(SCENARIOS["invalid-body"], "Mockoon", Answer(200, _job_body("a")))
    assert not wrong.serves
    assert wrong.notes[0].startswith("Mockoon answered 200, expected 400") and "left out" in wrong.notes[0]
    documented = note_unchecked(SCENARIOS["get-job"], "Mockoon", Answer(200, _job_body("a")))
    assert documented == type(documented)(True, [])


def test_one_answer_is_held_to_status_json_and_the_documented_schema() -> None:
    scenario = SCENARIOS["get-job"]
    assert conformance_problems(scenario, "sqlite", Answer(200, _job_body("us_jb_1"))) == []
    assert conformance_problems(scenario, "sqlite", Answer(503, b"busy")) == [
        "sqlite answered 503, expected 200: b'busy'"
    ]
    assert conformance_problems(scenario, "sqlite", Answer(200, b"<html>")) == ["sqlite body is not JSON: b'<html>'"]


def test_stateful_scenarios_get_the_created_job_list_a_page_of_20_and_create_with_the_documented_body() -> None:
    get, page, create = stateful_scenarios("us_jb_made")
    assert (get.name, get.method, get.path) == (STATE_GET, "GET", "/v1/jobs/us_jb_made")
    assert (page.name, page.path) == (STATE_LIST, "/v1/jobs?pageSize=20&pageNumber=2")
    assert (create.name, create.method, create.path) == (STATE_CREATE, "POST", "/v1/jobs")
    assert json.loads(create.body or b"") == first_request_example(load_spec("flatfile"), "createJob")
    assert all(scenario.documented_schema() for scenario in (get, page, create))


def test_postgres_is_skipped_with_a_reason_when_the_option_or_the_server_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skipped: list[str] = []
    monkeypatch.setattr(stateful, "_has_state_url", lambda: False)
    with ExitStack() as stack:
        assert stateful.postgres_database(stack, skipped) is None
    monkeypatch.setattr(stateful, "_has_state_url", lambda: True)
    monkeypatch.delenv(stateful.POSTGRES_URL_ENV, raising=False)
    monkeypatch.setattr(stateful, "server_binaries", lambda: None)
    with ExitStack() as stack:
        assert stateful.postgres_database(stack, skipped) is None
    assert "no --state-url option" in skipped[0]
    assert "install Debian's postgresql package" in skipped[1] and stateful.POSTGRES_URL_ENV in skipped[1]
    assert [s.label for s in stateful.stores("/tmp/x.db", None, (1, 2, 4))] == ["memory", "sqlite"]


def test_postgres_is_the_named_database_and_runs_with_each_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://bench@127.0.0.1:5432/bench"
    monkeypatch.setattr(stateful, "_has_state_url", lambda: True)
    monkeypatch.setenv(stateful.POSTGRES_URL_ENV, url)
    skipped: list[str] = []
    with ExitStack() as stack:
        assert stateful.postgres_database(stack, skipped) == stateful.Postgres(url)
    assert skipped == []
    found = stateful.stores("/tmp/x.db", stateful.Postgres(url, 4242), (1, 2, 4))
    assert [(s.label, s.workers, s.database_pid) for s in found[2:]] == [
        ("postgres", 1, 4242),
        ("postgres --workers 2", 2, 4242),
        ("postgres --workers 4", 4, 4242),
    ]
    assert "--workers" in stateful_command(found[3].label, "flatfile", found[3].options, 2).argv


def test_jobs_mock_runs_at_both_log_levels_and_the_peers_get_their_documented_flags() -> None:
    assert mock_command("flatfile", quiet=False).label == MOCK
    assert "--log-level" not in mock_command("flatfile", quiet=False).argv
    assert mock_command("flatfile").argv[-4:] == ("--log-level", "warning", "--port", "{port}")
    assert mockoon_command(BENCH_DIR / "mockoon-cli", BENCH_DIR / "spec.json").argv[1:5] == (
        "start",
        "--data",
        str(BENCH_DIR / "spec.json"),
        "--port",
    )
    assert "--upstream" in mock_proxy_command("flatfile", "http://127.0.0.1:9").argv
    assert relay_command("http://127.0.0.1:9").env == {
        "BENCH_RELAY_UPSTREAM": "http://127.0.0.1:9",
        "PYTHONPATH": str(BENCH_DIR.parent),
    }


def test_the_relay_floor_passes_the_upstreams_answer_on_as_it_came(monkeypatch: pytest.MonkeyPatch) -> None:
    body = b'{"data": {"id": "us_jb_1"}}'
    with stub_server(lambda method, path: (200, body) if path == "/v1/jobs/us_jb_1?a=1" else (404, b"{}")) as stub:
        monkeypatch.setenv("BENCH_RELAY_UPSTREAM", stub.origin)
        relay = importlib.reload(importlib.import_module("bench.relay"))
        client = AsgiClient(relay.app)
        try:
            answer = client.get("/v1/jobs/us_jb_1?a=1", headers={"Authorization": "Bearer t"})
            client.run(relay.UPSTREAM.close())
        finally:
            client.close()
    assert (answer.status_code, answer.content, answer.headers["content-type"]) == (200, body, "application/json")
    assert [path for _, _, path in stub.arrivals] == ["/v1/jobs/us_jb_1?a=1"]


def test_the_lock_pins_the_peers_of_the_issue() -> None:
    packages = json.loads((BENCH_DIR / "package-lock.json").read_text())["packages"]
    assert packages["node_modules/@stoplight/prism-cli"]["version"] == "5.16.0"
    assert packages["node_modules/@mockoon/cli"]["version"] == "9.9.0"


def test_the_chart_is_drawn_when_steps_are_missing(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs the bench extra: pip install -e '.[bench]'")
    target = tmp_path / "chart.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chart(summarize(STATIC_RUNS), [SCENARIOS["get-job"], SCENARIOS["sift-retry"]], 32, target, [], [])
    assert target.read_bytes().startswith(b"\x89PNG")


def test_a_companions_cpu_counts_as_the_servers_but_not_its_memory(tmp_path: Path) -> None:
    """A database the server works through is part of the run: its CPU is not counted as a disturbance."""
    busy = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    with (
        RunningServer(ServerCommand("idle", ("sleep", "30")), "0", tmp_path / "idle.log") as server,
        subprocess.Popen([sys.executable, "-c", busy]) as database,
    ):
        try:
            deadline = time.monotonic() + 10
            while sum(psutil.Process(database.pid).cpu_times()[:2]) < 0.3 and time.monotonic() < deadline:
                time.sleep(0.05)
            alone = server.usage()
            server.companions.append(database.pid)
            together = server.usage()
        finally:
            database.kill()
    assert alone.cpu_s < 0.1 and together.cpu_s - alone.cpu_s >= 0.3
    assert together.rss_bytes == alone.rss_bytes
