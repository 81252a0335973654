"""`jobs-mock proxy --record DIR`, then `jobs-mock serve --examples DIR`: the mock answers with what the real API
sent, and an overlay the spec no longer accepts is refused at start."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mock_server import cli
from mock_server.app import build_app
from mock_server.settings import Settings
from tests.reference_impl.server import RunningServer, serve
from tests.support.proxy import FLATFILE, NEW_JOB, SIFT, TOKEN, Proxy
from tests.support.servers import AsgiClient


@pytest.fixture
def reference() -> Iterator[RunningServer]:
    with serve(token=TOKEN) as server:
        yield server


def record(reference: RunningServer, proxy_to: Callable[..., Proxy], directory: Path, **options: Any) -> str:
    """Some traffic through a recording proxy; returns the id of the job it read."""
    proxy = proxy_to(reference.origin, record_dir=str(directory), **options)
    job = httpx.get(f"{reference.origin}/v1/jobs", headers=FLATFILE).json()["data"][0]["id"]
    for _ in range(2):  # the same answers twice: stored once
        assert proxy.client.get(f"/v1/jobs/{job}", headers=FLATFILE).status_code == 200
        assert proxy.client.get("/v1/jobs/us_jb_nope", headers=FLATFILE).status_code == 404
        assert proxy.client.get("/api/v1/jobs?pageSize=2", headers=SIFT).status_code == 200
    assert proxy.client.post("/v1/jobs", json={"operation": "x"}, headers=FLATFILE).status_code == 400  # invalid
    return str(job)


def overlay(directory: Path, api: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((directory / f"{api}.examples.yaml").read_text())
    return loaded


def test_conforming_answers_are_recorded_once_each_under_stable_readable_names(
    reference: RunningServer, proxy_to: Callable[..., Proxy], tmp_path: Path
) -> None:
    job = record(reference, proxy_to, tmp_path)
    flatfile = overlay(tmp_path, "flatfile")["operations"]
    assert sorted(flatfile) == ["getJob"]  # createJob's invalid request was not recorded
    [(ok_name, ok)] = flatfile["getJob"]["200"].items()
    [(missing_name, _)] = flatfile["getJob"]["404"].items()
    assert ok_name.startswith("getJob-200-") and missing_name.startswith("getJob-404-")
    assert ok["x-path-parameters"] == {"jobId": job} and ok["value"]["data"]["id"] == job
    assert ok["summary"] == f"GET /v1/jobs/{job}"
    [sift_name] = overlay(tmp_path, "sift")["operations"]["listJobs"]["200"]
    record(reference, proxy_to, tmp_path)  # another run, the same answers: the same names, nothing added
    assert list(overlay(tmp_path, "flatfile")["operations"]["getJob"]["200"]) == [ok_name]
    assert list(overlay(tmp_path, "sift")["operations"]["listJobs"]["200"]) == [sift_name]


def test_serve_examples_replays_the_recorded_answers_and_they_conform(
    reference: RunningServer, proxy_to: Callable[..., Proxy], tmp_path: Path, assert_conforms: Any
) -> None:
    job = record(reference, proxy_to, tmp_path)
    [(name, example)] = overlay(tmp_path, "flatfile")["operations"]["getJob"]["200"].items()
    [(sift_name, sift_example)] = overlay(tmp_path, "sift")["operations"]["listJobs"]["200"].items()
    mock = AsgiClient(build_app(Settings(examples_dir=str(tmp_path))).asgi)
    try:
        same = mock.get(f"/v1/jobs/{job}", headers={**FLATFILE, "Prefer": f"example={name}"})
        assert same.json() == example["value"]
        assert same.json() == httpx.get(f"{reference.origin}/v1/jobs/{job}", headers=FLATFILE).json()
        assert_conforms("flatfile", "GET", "/jobs/{jobId}", same)
        echoed = mock.get("/v1/jobs/us_jb_other", headers={**FLATFILE, "Prefer": f"example={name}"})
        assert echoed.json()["data"] == {**example["value"]["data"], "id": "us_jb_other"}  # x-mock-echo applies
        sift = mock.get("/api/v1/jobs", headers={**SIFT, "Prefer": f"example={sift_name}"})
        assert sift.json() == sift_example["value"]
        assert_conforms("sift", "GET", "/api/v1/jobs", sift)
        listed = mock.get("/").json()["apis"][0]["operations"]
        [get_job] = [operation for operation in listed if operation["operationId"] == "getJob"]
        examples = get_job["responses"]["200"]
        assert examples[-1] == name and examples[0] != name  # the spec's own first example stays the default
    finally:
        mock.close()


def test_authorization_cookies_and_redacted_fields_never_reach_the_overlay(
    reference: RunningServer, proxy_to: Callable[..., Proxy], tmp_path: Path
) -> None:
    proxy = proxy_to(reference.origin, record_dir=str(tmp_path), redact=("createdBy", "/data/source"))
    created = proxy.client.post("/v1/jobs", json=NEW_JOB, headers={**FLATFILE, "Cookie": "sid=cookie-value-7"})
    assert created.status_code == 200 and created.json()["data"]["createdBy"] == "us_usr_reference"
    text = (tmp_path / "flatfile.examples.yaml").read_text()
    [example] = overlay(tmp_path, "flatfile")["operations"]["createJob"]["200"].values()
    assert example["value"]["data"]["createdBy"] == "<redacted>"
    assert example["value"]["data"]["source"] == "<redacted>"
    for secret in (TOKEN, "cookie-value-7", "us_usr_reference", "us_wb_1"):
        assert secret not in text


def test_an_overlay_the_spec_no_longer_accepts_is_refused_at_start_in_one_sentence(
    reference: RunningServer,
    proxy_to: Callable[..., Proxy],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record(reference, proxy_to, tmp_path)
    path = tmp_path / "flatfile.examples.yaml"
    document = overlay(tmp_path, "flatfile")
    [(name, example)] = document["operations"]["getJob"]["200"].items()
    example["value"]["data"]["status"] = "vanished"
    path.write_text(yaml.safe_dump(document))
    assert cli.main(["serve", "--examples", str(tmp_path), "--port", "1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert name in error and "getJob 200" in error and "data/status" in error and '"vanished"' in error
