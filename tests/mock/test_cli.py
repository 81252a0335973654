"""`jobs-mock serve` / `python -m mock_server serve`: the listing it prints, options, errors, --reload; the port
it binds before it speaks, the set-up it announces, Ctrl-C while it starts."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jobs_openapi import spec_path

from mock_server.app import build_app
from mock_server.banner import describe
from mock_server.cli import main
from tests.support.servers import SERVER_START_TIMEOUT, MockProcess

RELOAD_TIMEOUT = 20.0
WORKER_PYTHON_STARTED = 0.3  # seconds after a worker process exists: its interpreter has started


def test_listing_names_urls_operations_and_examples() -> None:
    text = describe(build_app(), "http://127.0.0.1:4010")
    assert "http://127.0.0.1:4010/v1/ui/" in text
    assert "http://127.0.0.1:4010/sift/ui/" in text
    sift = next(line for line in text.splitlines() if "[sift]" in line)
    assert sift.endswith("http://127.0.0.1:4010/api/v1")  # the prefix Sift owns, where its unknown paths are its 404s
    get_job = next(line for line in text.splitlines() if "getJob" in line)
    assert "GET" in get_job and "/v1/jobs/{jobId}" in get_job and "404: jobNotFound" in get_job
    retry = next(line for line in text.splitlines() if "/api/v1/jobs/{jobId}:retry" in line)
    assert "retriedJob, documented" in retry


def test_unknown_api_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "no-such-api"]) == 2
    error = capsys.readouterr().err
    assert "no spec named 'no-such-api'" in error
    assert "flatfile" in error and "sift" in error


SPEC_HEAD = "openapi: 3.0.3\ninfo: {title: Things, version: '1'}\nx-error-format: flatfile\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("openapi: 3.0.3\npaths: {\n", "while parsing"),
        ("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nx-error-format: flatfile\npaths: {}\n", "OpenAPI 3.1.0"),
        ("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n", "x-error-format"),
        ("openapi: 3.0.3\nx-error-format: flatfile\npaths: {}\n", "'info' is a required property"),
        (
            f"{SPEC_HEAD}paths:\n  /v1/things:\n    get:\n      responses: {{'200': {{}}}}\n",
            "is not valid OpenAPI 3.0: #/paths/~1v1~1things/get/responses/200: 'description' is a required property",
        ),
        (
            f"{SPEC_HEAD}paths:\n  /v1/things: {{$ref: '#/paths/~1v1~1things'}}\n",
            "circular $ref #/paths/~1v1~1things -> #/paths/~1v1~1things",
        ),
    ],
)
def test_a_broken_spec_is_refused_with_its_reason(
    tmp_path, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(text)
    assert main(["serve", str(spec)]) == 2
    assert needle in capsys.readouterr().err


def test_serve_runs_with_token_and_cors_origin(mock_process: Callable[[list[str]], MockProcess]) -> None:
    server = mock_process(["flatfile", "--token", "cli-token", "--cors-origin", "http://front.example"])
    headers = {"X-Disable-Hooks": "true", "Origin": "http://front.example"}
    ok = httpx.get(server.url + "/v1/jobs/us_jb_5", headers={**headers, "Authorization": "Bearer cli-token"})
    assert ok.status_code == 200
    assert ok.json()["data"]["id"] == "us_jb_5"
    assert ok.headers["access-control-allow-origin"] == "http://front.example"
    assert (
        httpx.get(server.url + "/v1/jobs/us_jb_5", headers={**headers, "Authorization": "Bearer other"}).status_code
        == 401
    )
    assert httpx.get(server.url + "/api/v1/jobs", headers={"Authorization": "Bearer cli-token"}).status_code == 404
    listing = server.output.read_text()
    assert f"{server.url}/v1/ui/" in listing and "Sift" not in listing


def test_reload_picks_up_a_changed_spec(mock_process: Callable[[list[str]], MockProcess], tmp_path) -> None:
    spec = tmp_path / "sift-copy.yaml"
    shutil.copy(spec_path("sift"), spec)
    server = mock_process([str(spec), "--reload"])
    assert "retriedJob" in httpx.get(server.url + "/").text
    spec.write_text(spec.read_text().replace("retriedJob:", "retriedAgain:"))
    deadline = time.monotonic() + RELOAD_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if "retriedAgain" in httpx.get(server.url + "/", timeout=1).text:
                break
        except httpx.TransportError:
            pass  # the server is restarting
        time.sleep(0.2)
    else:
        pytest.fail(f"the mock did not reload within {RELOAD_TIMEOUT} s:\n{server.output.read_text()}")
    retried = httpx.post(
        server.url + "/api/v1/jobs/j1:retry", headers={"Authorization": "Bearer t", "Prefer": "example=retriedAgain"}
    )
    assert retried.json()["job"]["jobId"] == "j1"


def _children(pid: int) -> list[str]:
    """Command lines of the processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append((stat.parent / "cmdline").read_text().replace("\0", " "))
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return found


def test_workers_serve_from_several_processes(mock_process: Callable[[list[str]], MockProcess]) -> None:
    server = mock_process(["flatfile", "--workers", "2"])
    headers = {"Authorization": "Bearer t", "X-Disable-Hooks": "true"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        answers = {client.get(f"/v1/jobs/us_jb_{n}").json()["data"]["id"] for n in range(20)}
    assert answers == {f"us_jb_{n}" for n in range(20)}
    workers = [command for command in _children(server.process.pid) if "spawn_main" in command]
    assert len(workers) == 2, _children(server.process.pid)


JOBS_MOCK = str(Path(sys.executable).parent / "jobs-mock")


class Started:
    """`jobs-mock serve ARGS --port 0` as a user runs it, its output read as it comes, in its own process group
    (as a terminal's foreground job, which Ctrl-C signals as a whole)."""

    def __init__(self, *arguments: str) -> None:
        command = [JOBS_MOCK, "serve", *arguments, "--port", "0"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")))
        self._reader.start()

    def banner(self) -> list[str]:
        """The lines up to the first API's, once printed: any warning about a spec, then the banner, whose first
        line names the URL."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not any(line.startswith("\n") or not line.strip() for line in self.lines[1:]):
            assert time.monotonic() < deadline and self.process.poll() is None, "".join(self.lines)
            time.sleep(0.02)
        first = next(n for n, line in enumerate(self.lines[1:], 1) if not line.strip())
        return [line.rstrip("\n") for line in self.lines[:first]]

    @property
    def url(self) -> str:
        match = re.search(r"^jobs-mock serving on (http://\S+)", "\n".join(self.banner()), flags=re.MULTILINE)
        assert match, self.banner()  # the first line, after any warning about the spec
        return match.group(1)

    def index(self) -> dict[str, Any]:
        """`GET /` once the mock answers."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                return dict(httpx.get(self.url + "/", timeout=2).raise_for_status().json())
            except httpx.TransportError:
                assert time.monotonic() < deadline and self.process.poll() is None, "".join(self.lines)
                time.sleep(0.1)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> str:
        """Send `sig` to the process group; everything it printed, once it has ended."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(SERVER_START_TIMEOUT * 2)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._reader.join(SERVER_START_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return "".join(self.lines)


@pytest.fixture
def start() -> Iterator[Callable[..., Started]]:
    started: list[Started] = []

    def run(*arguments: str) -> Started:
        started.append(Started(*arguments))
        return started[-1]

    yield run
    for mock in started:
        mock.stop()


def test_port_0_listens_where_the_system_chose_and_the_banner_says_so(start: Callable[..., Started]) -> None:
    mock = start("flatfile")
    port = int(mock.url.rsplit(":", 1)[1])
    assert port > 0 and mock.url == f"http://127.0.0.1:{port}"
    assert f"Swagger UI {mock.url}/v1/ui/" in "\n".join(mock.lines)
    assert mock.index()["setup"] == {
        "mode": "static",
        "tokens": "any",
        "corsOrigins": ["*"],
        "maxBodyBytes": 1048576,
        "seed": 0,
        "examples": None,
    }
    banner = mock.banner()
    assert "tokens        any non-empty bearer token" in banner and "CORS origins  *" in banner
    assert "mode          static" in banner


def test_banner_and_index_say_the_mode_state_auto_advance_tokens_and_origins(
    start: Callable[..., Started], tmp_path: Path
) -> None:
    state = tmp_path / "jobs.sqlite"
    mock = start(
        "flatfile",
        *("--mode", "stateful", "--state-file", str(state), "--auto-advance", "0.5", "--token", "s3cret-token"),
        *("--cors-origin", "http://a.example", "--cors-origin", "http://b.example"),
    )
    setup = mock.index()["setup"]
    assert setup["mode"] == "stateful" and setup["state"] == str(state) and setup["autoAdvanceSeconds"] == 0.5
    assert setup["tokens"] == "one" and setup["corsOrigins"] == ["http://a.example", "http://b.example"]
    banner = mock.banner()
    for line in (
        "mode          stateful",
        f"state         {state}",
        "auto-advance  every 0.5 s",
        "tokens        only the bearer token given with --token",
        "CORS origins  http://a.example, http://b.example",
    ):
        assert line in banner, banner
    assert "s3cret-token" not in mock.stop() + json.dumps(setup)


def test_in_memory_state_without_auto_advance_is_said_too(start: Callable[..., Started]) -> None:
    mock = start("sift", "--mode", "stateful")
    setup = mock.index()["setup"]
    assert (setup["state"], setup["autoAdvanceSeconds"]) == ("memory", None)
    assert {"state         in memory (gone when the mock stops)", "auto-advance  off"} <= set(mock.banner())


def test_a_path_parameter_without_required_is_served_after_one_warning_naming_it(
    start: Callable[..., Started], tmp_path: Path
) -> None:
    spec = tmp_path / "things.yaml"
    spec.write_text(
        f"{SPEC_HEAD}paths:\n  /v1/things/{{thingId}}:\n    get:\n      operationId: getThing\n"
        "      parameters: [{name: thingId, in: path, schema: {type: string}}]\n"
        "      responses: {'200': {description: a thing, content: {application/json: {example: {id: t1}}}}}\n"
    )
    mock = start(str(spec), "--workers", "2")  # each worker reads the spec again, and says nothing of it
    mock.index()
    assert httpx.get(mock.url + "/v1/things/t1", headers={"Authorization": "Bearer t"}).json() == {"id": "t1"}
    warning = f"{spec}: #/paths/~1v1~1things~1{{thingId}}/get/parameters/0: a path parameter needs `required: true`"
    output = mock.stop()
    assert output.count(warning) == 1, output
    assert output.index(warning) < output.index("jobs-mock serving on")  # at start, before the banner


@pytest.mark.parametrize("port", ["70000", "65536", "-1", "http"])
def test_a_port_that_is_no_port_is_refused_in_one_sentence(port: str) -> None:
    result = subprocess.run([JOBS_MOCK, "serve", "--port", port], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("jobs-mock: ") and result.stderr.count("\n") == 1
    assert "--port" in result.stderr and port in result.stderr


def test_a_port_in_use_is_one_sentence_and_exit_2_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([JOBS_MOCK, "serve", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"jobs-mock: port {port} on 127.0.0.1 is in use: stop what listens there, or choose another --port"
        " (0 picks a free one)\n"
    )


def test_ctrl_c_while_one_worker_starts_ends_quietly(start: Callable[..., Started]) -> None:
    mock = start("flatfile")
    mock.banner()  # bound and listed: uvicorn is starting now
    output = mock.stop(signal.SIGINT)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert mock.process.returncode in (0, 130)  # 130: stopped before uvicorn took the signal over


def test_ctrl_c_while_workers_start_ends_quietly(start: Callable[..., Started]) -> None:
    mock = start("flatfile", "--workers", "2")
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while len([command for command in _children(mock.process.pid) if "spawn_main" in command]) < 2:
        assert time.monotonic() < deadline and mock.process.poll() is None, "".join(mock.lines)
        time.sleep(0.01)
    # Running Python now; a worker's imports and app take a second or more, its server's signal handlers after.
    time.sleep(WORKER_PYTHON_STARTED)
    assert not any("Application startup complete" in line for line in mock.lines), "the workers started too soon"
    output = mock.stop(signal.SIGINT)
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "Received SIGINT, exiting." in output and mock.process.returncode == 0


def test_collection_paused_for_start_up_runs_again_once_the_app_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """`jobs-mock` starts with the garbage collector paused (mock_server/__main__.py); the mock serves with it
    running again, and what start-up made frozen out of its way."""
    from mock_server import serving

    seen: list[tuple[bool, int]] = []

    def serve(_app: object, listener: socket.socket, _options: object) -> None:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        listener.close()

    monkeypatch.setattr(serving, "serve", serve)
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        assert main(["serve", "sift", "--port", "0", "--host", "127.0.0.1"]) == 0
    finally:
        gc.unfreeze()
        gc.enable()
    [(enabled, freeze_count)] = seen
    assert enabled and freeze_count > frozen
