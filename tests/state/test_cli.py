"""`jobs-mock serve --mode stateful` as a process: state file across restarts, --reload, auto-advance, refusals."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.cli import main
from mock_server.state.stores import STATE_URL_ENV
from tests.support.servers import MockProcess

FLATFILE = {"Authorization": "Bearer token", "X-Disable-Hooks": "true"}
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}
ADVANCE_TIMEOUT = 10.0


def create(server: MockProcess, **fields: Any) -> dict[str, Any]:
    response = httpx.post(server.url + "/v1/jobs", json={**NEW_JOB, **fields}, headers=FLATFILE)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def get(server: MockProcess, job_id: str) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=FLATFILE)


def test_jobs_survive_a_restart_with_a_state_file(
    mock_process: Callable[[list[str]], MockProcess], tmp_path: Path
) -> None:
    arguments = ["flatfile", "--mode", "stateful", "--state-file", str(tmp_path / "jobs.sqlite")]
    first = mock_process(arguments)
    job = create(first)
    assert httpx.post(f"{first.url}/v1/jobs/{job['id']}/execute", headers=FLATFILE).status_code == 200
    first.stop()  # SIGTERM: uvicorn shuts down gracefully, the lifespan's shutdown closes the engine
    assert "Traceback" not in first.output.read_text()
    second = mock_process(arguments)
    kept = get(second, job["id"]).json()["data"]
    assert (kept["id"], kept["createdAt"], kept["status"]) == (job["id"], job["createdAt"], "ready")


def test_reload_leaves_the_state_file_to_the_serving_process(
    mock_process: Callable[[list[str]], MockProcess], tmp_path: Path
) -> None:
    state = tmp_path / "jobs.sqlite"
    server = mock_process(["flatfile", "--mode", "stateful", "--state-file", str(state), "--reload"])
    job = create(server)  # were the watching parent holding the file, the serving child could not have opened it
    assert get(server, job["id"]).status_code == 200
    assert main(["serve", "flatfile", "--mode", "stateful", "--state-file", str(state)]) == 2  # in use


def test_auto_advance_moves_jobs_while_the_server_runs(mock_process: Callable[[list[str]], MockProcess]) -> None:
    server = mock_process(["flatfile", "--mode", "stateful", "--auto-advance", "0.05"])
    job = create(server, status="ready")
    deadline = time.monotonic() + ADVANCE_TIMEOUT
    while (current := get(server, job["id"]).json()["data"]).get("progress", 0) == 0:
        assert time.monotonic() < deadline, f"auto-advance did not move the job: {current}"
        time.sleep(0.05)
    assert current["status"] == "executing" and 0 < current["progress"] < 100


def _foreign_database(path: Path) -> None:
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE notes (text TEXT)")
        other.execute("INSERT INTO notes VALUES ('keep me')")
    other.close()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: path.write_bytes(b"not a database, just text " * 40), "is not a jobs-mock state file"),
        (_foreign_database, "belongs to another application"),
    ],
)
def test_a_corrupt_or_foreign_state_file_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], None], reason: str
) -> None:
    state = tmp_path / "state.sqlite"
    make(state)
    before = state.read_bytes()
    assert main(["serve", "flatfile", "--mode", "stateful", "--state-file", str(state)]) == 2
    error = capsys.readouterr().err
    assert reason in error and "Traceback" not in error and error.count("\n") == 1
    assert state.read_bytes() == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--state-file", "x.sqlite"], "--state-file needs --mode stateful"),
        (["--auto-advance", "1"], "--auto-advance needs --mode stateful"),
        (["--mode", "stateful", "--auto-advance", "0"], "0 is not a positive number"),
        (["--mode", "stateful", "--workers", "2"], "stateful mode keeps its jobs in one process"),
        (["--workers", "2", "--reload"], "--reload serves from one process"),
        (["--state-url", "postgresql://team@db:5432/jobs"], "--state-url needs --mode stateful"),
        (
            ["--mode", "stateful", "--state-file", "x.sqlite", "--state-url", "postgresql://team@db:5432/jobs"],
            "--state-file and --state-url name two stores",
        ),
        (["--mode", "stateful", "--state-url", "mysql://team@db/jobs"], "must start with postgresql://"),
    ],
)
def test_options_that_do_not_go_together_are_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    monkeypatch.delenv(STATE_URL_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "flatfile", *arguments])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_the_state_url_can_come_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_URL_ENV, "sqlite:///jobs.db")
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "flatfile", "--mode", "stateful", "--workers", "2"])
    assert exit_.value.code == 2
    assert f"--state-url (or ${STATE_URL_ENV}) must start with postgresql://" in capsys.readouterr().err
