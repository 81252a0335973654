"""`jobs-mock proxy` as a user runs it: its options, and a real process that writes its report when stopped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mock_server import cli
from tests.reference_impl.server import serve
from tests.support.proxy import FLATFILE, TOKEN
from tests.support.servers import SERVER_START_TIMEOUT, free_port


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--upstream", "flatfile=http://a"], "no upstream for sift"),
        (["--upstream", "http://a", "--upstream", "http://b"], "one --upstream URL for every API"),
        (["--upstream", "ftp://a"], "not an http:// or https:// URL"),
        (["--upstream", "nosuch=http://a"], "'nosuch' is not an API served here"),
    ],
)
def test_upstream_options_are_checked(arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["proxy", *arguments])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_a_proxy_process_checks_traffic_and_writes_its_report_when_stopped(tmp_path: Path) -> None:
    port = free_port()
    with serve(token=TOKEN) as reference:
        command = [sys.executable, "-m", "mock_server", "proxy", "flatfile", "--upstream", reference.origin]
        command += ["--port", str(port), "--report-dir", str(tmp_path), "--token", TOKEN]
        with (tmp_path / "proxy.log").open("wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/v1/jobs", headers=FLATFILE, timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and process.poll() is None, (tmp_path / "proxy.log").read_text()
                    time.sleep(0.1)
            assert answer.status_code == 200 and "jobs-mock-violations" not in answer.headers
            # The upstream's Date and Server come through as it sent them, once, with none of the proxy's own.
            direct = httpx.get(f"{reference.origin}/v1/jobs", headers=FLATFILE, timeout=5)
            assert answer.headers.get_list("server") == direct.headers.get_list("server") != []
            assert len(answer.headers.get_list("date")) == 1
            wrong = httpx.get(f"http://127.0.0.1:{port}/v1/jobs?pageSize=0", headers=FLATFILE, timeout=5)
            assert wrong.headers["jobs-mock-violations"] == "1"
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(SERVER_START_TIMEOUT)
    report = json.loads((tmp_path / "violations.json").read_text())
    assert (report["exchanges"], report["violating"]) == (2, 1)
    log = (tmp_path / "proxy.log").read_text()
    assert "jobs-mock proxy on http://127.0.0.1" in log and f"-> {reference.origin}/v1" in log
    assert "listJobs (request)" in log and TOKEN not in log
