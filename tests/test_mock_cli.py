"""`jobs-mock serve` / `python -m mock_server serve`: the listing it prints, options, errors, --reload."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from jobs_openapi import spec_path

from mock_server.app import build_app
from mock_server.banner import describe
from mock_server.cli import main
from tests.conftest import MockProcess

RELOAD_TIMEOUT = 20.0


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


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("openapi: 3.0.3\npaths: {\n", "while parsing"),
        ("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nx-error-format: flatfile\npaths: {}\n", "OpenAPI 3.1.0"),
        ("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n", "x-error-format"),
        ("openapi: 3.0.3\nx-error-format: flatfile\npaths: {}\n", "'info' is a required property"),
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
