"""The access log of `jobs-mock serve`: what each line says, in-process and from a real server's output."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.access_log import AccessLog, access_line
from mock_server.app import build_app
from mock_server.settings import Settings
from tests.support.servers import AsgiClient, free_port

AUTH = {"Authorization": "Bearer t", "X-Disable-Hooks": "true"}
LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<method>[A-Z]+) (?P<target>\S+) (?P<status>\d{3}) "
    r"(?P<ms>\d+\.\d\d)ms session=(?P<session>\S+)$"
)
# 2026-12-01T23:50:01.125Z in seconds since the epoch (a fraction a float holds exactly).
AT = 1_796_169_001.125


def test_a_line_has_the_time_method_target_status_duration_and_session() -> None:
    line = access_line(AT, "GET", "/v1/jobs?pageSize=10", 200, 0.000421, "front-1")
    assert line == "2026-12-01T23:50:01.125Z GET /v1/jobs?pageSize=10 200 0.42ms session=front-1\n"
    assert access_line(AT, "POST", "/v1/jobs", 400, 0.0123, None).endswith(" 400 12.30ms session=-\n")


def test_lines_wait_in_the_buffer_until_flushed_and_close_writes_the_rest() -> None:
    stream = io.StringIO()
    log = AccessLog(stream, interval_s=3600)
    log.record(AT, "GET", "/a", 200, 0.001, None)
    log.record(AT + 1.5, "GET", "/b", 404, 0.002, "s")
    assert stream.getvalue() == ""
    log.close()
    assert stream.getvalue().splitlines() == [
        "2026-12-01T23:50:01.125Z GET /a 200 1.00ms session=-",
        "2026-12-01T23:50:02.625Z GET /b 404 2.00ms session=s",
    ]
    log.record(AT, "GET", "/late", 200, 0.001, None)
    assert stream.getvalue().endswith(" GET /late 200 1.00ms session=-\n")


def test_the_writer_flushes_on_its_own_without_waiting_for_shutdown() -> None:
    stream = io.StringIO()
    log = AccessLog(stream, interval_s=0.01)
    log.record(AT, "GET", "/a", 200, 0.001, None)
    deadline = time.monotonic() + 5
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    log.close()
    assert stream.getvalue().count("\n") == 1


@pytest.fixture
def logged() -> Iterator[tuple[AsgiClient, AccessLog]]:
    app = build_app(Settings(access_log=True))
    assert app.access_log is not None
    client = AsgiClient(app.asgi)
    yield client, app.access_log
    client.close()
    app.close()


def _lines(log: AccessLog, capsys: pytest.CaptureFixture[str]) -> list[re.Match[str]]:
    log.flush()
    out = capsys.readouterr().out.splitlines()
    matches = [LINE.match(line) for line in out]
    assert all(matches), out
    return [match for match in matches if match is not None]


def test_every_answer_of_the_pipeline_gets_its_line(
    logged: tuple[AsgiClient, AccessLog], capsys: pytest.CaptureFixture[str]
) -> None:
    client, log = logged
    capsys.readouterr()
    client.get("/v1/jobs/us_jb_1", headers={**AUTH, "X-Mock-Session": "checkout-tests"})
    client.get("/v1/jobs?pageSize=5&environmentId=us_env_1", headers=AUTH)
    client.get("/v1/jobs/us_jb_1")
    client.request("PUT", "/v1/jobs/us_jb_1/plan", headers=AUTH, json={"fieldMapping": "not-a-list"})
    client.get("/v1/no-such-resource", headers=AUTH)
    client.request("DELETE", "/api/v1/jobs", headers=AUTH)
    client.get("/v1/ui/")
    lines = _lines(log, capsys)
    assert [(m["method"], m["target"], m["status"], m["session"]) for m in lines] == [
        ("GET", "/v1/jobs/us_jb_1", "200", "checkout-tests"),
        ("GET", "/v1/jobs?pageSize=5&environmentId=us_env_1", "200", "-"),
        ("GET", "/v1/jobs/us_jb_1", "401", "-"),
        ("PUT", "/v1/jobs/us_jb_1/plan", "400", "-"),
        ("GET", "/v1/no-such-resource", "404", "-"),
        ("DELETE", "/api/v1/jobs", "405", "-"),
        ("GET", "/v1/ui/", "200", "-"),
    ]


def test_preflights_and_control_endpoints_get_their_lines_too(capsys: pytest.CaptureFixture[str]) -> None:
    app = build_app(Settings(access_log=True, cors_origins=("http://localhost:5173",)))
    assert app.access_log is not None
    client = AsgiClient(app.asgi)
    capsys.readouterr()
    preflight = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}
    client.request("OPTIONS", "/v1/jobs", headers=preflight)
    client.get("/__mock/coverage", headers=AUTH)
    client.get("/__mock/nothing-here", headers=AUTH)
    lines = _lines(app.access_log, capsys)
    client.close()
    app.close()
    assert [(m["method"], m["target"], m["status"]) for m in lines] == [
        ("OPTIONS", "/v1/jobs", "200"),
        ("GET", "/__mock/coverage", "200"),
        ("GET", "/__mock/nothing-here", "404"),
    ]


def test_the_duration_includes_a_requested_delay(
    logged: tuple[AsgiClient, AccessLog], capsys: pytest.CaptureFixture[str]
) -> None:
    client, log = logged
    capsys.readouterr()
    client.get("/v1/jobs/us_jb_1", headers={**AUTH, "Prefer": "delay=50"})
    (line,) = _lines(log, capsys)
    assert float(line["ms"]) >= 50


def test_no_access_log_unless_asked() -> None:
    assert build_app(Settings()).access_log is None


def _serve(tmp_path: Path, *options: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    output = tmp_path / f"serve-{port}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "flatfile", "--port", str(port), *options],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/v1/jobs/us_jb_ready", headers=AUTH, timeout=1)
            return process, url, output
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError(output.read_text())


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_the_default_level_writes_our_lines_instead_of_uvicorn_access_log(tmp_path: Path) -> None:
    process, url, output = _serve(tmp_path)
    try:
        httpx.get(url + "/v1/jobs/us_jb_7", headers={**AUTH, "X-Mock-Session": "s1"}, timeout=5)
    finally:
        _stop(process)  # the last lines are written at shutdown
    text = output.read_text()
    ours = [match for match in map(LINE.match, text.splitlines()) if match]
    assert [(m["target"], m["status"], m["session"]) for m in ours] == [
        ("/v1/jobs/us_jb_ready", "200", "-"),
        ("/v1/jobs/us_jb_7", "200", "s1"),
    ]
    assert "HTTP/1.1" not in text  # uvicorn's access line is off


def test_the_warning_level_writes_no_access_lines(tmp_path: Path) -> None:
    process, url, output = _serve(tmp_path, "--log-level", "warning")
    try:
        httpx.get(url + "/v1/jobs/us_jb_7", headers=AUTH, timeout=5)
    finally:
        _stop(process)
    assert not [line for line in output.read_text().splitlines() if LINE.match(line)]
