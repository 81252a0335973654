"""The journal of stateful mode as `GET /__mock/journal` shows it: per request its method, path, status, time,
query, `Prefer` header, the example served and the body's size, and never a credential."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.app import build_app
from mock_server.settings import Settings
from mock_server.state import StateEngine
from mock_server.state.mode import StatefulMode
from mock_server.state.store import JournalDetails
from tests.support.servers import AsgiClient, MockProcess
from tests.support.state import FakeClock, open_engine

TOKEN = "journal-secret-token"
FLATFILE = {"Authorization": f"Bearer {TOKEN}", "X-Disable-Hooks": "true"}
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}


@pytest.fixture
def stateful() -> Iterator[AsgiClient]:
    engine = open_engine(FakeClock())
    app = build_app(Settings(), mode_factory=lambda apis, _settings: StatefulMode(engine, apis))
    client = AsgiClient(app.asgi)
    yield client
    client.close()
    app.close()


def test_each_entry_says_what_was_asked_and_what_was_served(stateful: AsgiClient) -> None:
    body = json.dumps(NEW_JOB).encode()
    created = stateful.post("/v1/jobs", content=body, headers={**FLATFILE, "Content-Type": "application/json"})
    job = created.json()["data"]["id"]
    stateful.get("/v1/jobs?pageSize=2&status=ready", headers={**FLATFILE, "Prefer": "exmaple=x"})
    stateful.get(f"/v1/jobs/{job}", headers={**FLATFILE, "Prefer": "code=404"})
    stateful.get("/v1/jobs/us_jb_1", headers=FLATFILE, params={"__example": "failed"})
    entries = stateful.get("/__mock/journal").json()["entries"]
    shown = [
        (e["method"], e["path"], e["status"], e["query"], e["prefer"], e["example"], e["bodyBytes"]) for e in entries
    ]
    assert shown == [
        ("POST", "/v1/jobs", 200, "", None, None, len(body)),  # the state engine answered: no example
        ("GET", "/v1/jobs?pageSize=2&status=ready", 200, "pageSize=2&status=ready", "exmaple=x", None, 0),
        ("GET", f"/v1/jobs/{job}", 404, "", "code=404", "jobNotFound", 0),
        ("GET", "/v1/jobs/us_jb_1?__example=failed", 200, "__example=failed", None, "failed", 0),
    ]
    assert all(entry["time"].endswith("Z") for entry in entries)


def test_every_store_keeps_the_details(engine: StateEngine) -> None:
    engine.record("carol", "PATCH", "/v1/jobs/us_jb_1?a=%20b", 200, JournalDetails("a=%20b", "example=ok", "ok", 3))
    engine.record("carol", "GET", "/v1/jobs", 200)
    told, untold = engine.journal("carol")
    assert (told["query"], told["prefer"], told["example"], told["bodyBytes"]) == ("a=%20b", "example=ok", "ok", 3)
    assert (untold["query"], untold["prefer"], untold["example"], untold["bodyBytes"]) == ("", None, None, 0)


def test_a_credential_is_never_in_the_journal(stateful: AsgiClient) -> None:
    stateful.post("/v1/jobs", json=NEW_JOB, headers={**FLATFILE, "Prefer": "code=401"})
    stateful.get("/v1/jobs", headers={"Authorization": f"Bearer {TOKEN}"})  # refused: no X-Disable-Hooks
    journal = stateful.get("/__mock/journal").text
    assert TOKEN not in journal and "authorization" not in journal.lower()
    assert [entry["status"] for entry in json.loads(journal)["entries"]] == [401, 400]


def test_through_the_console_script_with_a_state_file(
    mock_process: Callable[[list[str]], MockProcess], tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    server = mock_process(["flatfile", "--mode", "stateful", "--state-file", str(state)])
    try:
        headers = {**FLATFILE, "Prefer": "code=400", "Content-Type": "application/json"}
        httpx.post(f"{server.url}/v1/jobs?a=1", content=json.dumps(NEW_JOB), headers=headers)
    finally:
        server.stop()
    again = mock_process(["flatfile", "--mode", "stateful", "--state-file", str(state)])
    try:
        entries: list[dict[str, Any]] = httpx.get(f"{again.url}/__mock/journal").json()["entries"]
    finally:
        again.stop()
    posted = next(entry for entry in entries if entry["method"] == "POST")
    assert (posted["status"], posted["query"], posted["prefer"], posted["example"]) == (
        400,
        "a=1",
        "code=400",
        "missingType",
    )
    assert posted["bodyBytes"] == len(json.dumps(NEW_JOB))
