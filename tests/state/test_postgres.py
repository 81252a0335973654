"""Stateful mode on PostgreSQL as a team runs it: several `jobs-mock serve` processes on one database.

One state for all (jobs, sessions, journal, reset), changes to one job that take turns, answered writes that
outlive a killed process, one ticker, a database that goes away and comes back, and databases refused at start.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from mock_server.cli import main
from mock_server.state import StateEngine, StateRequest
from mock_server.state.flatfile import LIFECYCLE, UNFINISHED
from mock_server.state.postgres_schema import SCHEMA_VERSION, TICKER_LOCK
from mock_server.state.store import JournalDetails
from tests.support.servers import MockProcess, free_port

FLATFILE = {"Authorization": "Bearer token", "X-Disable-Hooks": "true"}
SIFT = {"Authorization": "Bearer token"}
NEW_JOB = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}
STATUSES = {*UNFINISHED, *(t.target for a in LIFECYCLE.actions.values() for t in a.transitions if t.target)}
TIMEOUT = 15.0
Servers = Callable[[list[str]], MockProcess]


@pytest.fixture
def database(postgres: Any) -> str:
    url: str = postgres.create_database()
    return url


def serve(mock_process: Servers, url: str, *options: str) -> MockProcess:
    return mock_process(["flatfile", "sift", "--mode", "stateful", "--state-url", url, *options])


@pytest.fixture(scope="module")
def team(postgres: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MockProcess, MockProcess]]:
    """Two servers on one database, the first with two worker processes (starting servers takes seconds: the
    tests that keep them running share them)."""
    url, logs = postgres.create_database("team"), tmp_path_factory.mktemp("team")
    pair: list[MockProcess] = []
    try:
        arguments = ["flatfile", "sift", "--mode", "stateful", "--state-url", url]
        pair.append(MockProcess([*arguments, "--workers", "2"], logs))
        pair.append(MockProcess(arguments, logs))
        yield pair[0], pair[1]
    finally:
        for server in pair:
            server.stop()


def session(name: str) -> dict[str, str]:
    return {**FLATFILE, "X-Mock-Session": name}


def create(server: MockProcess, headers: dict[str, str]) -> str:
    response = httpx.post(server.url + "/v1/jobs", json=NEW_JOB, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    job_id: str = response.json()["data"]["id"]
    return job_id


def listed(server: MockProcess, headers: dict[str, str]) -> set[str]:
    response = httpx.get(server.url + "/v1/jobs", params={"pageSize": 1000}, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return {job["id"] for job in response.json()["data"]}


def test_two_servers_share_jobs_sessions_journal_and_reset(team: tuple[MockProcess, MockProcess]) -> None:
    first, second = team
    ours = session("team")
    seeds = listed(first, ours)
    with ThreadPoolExecutor(50) as pool:  # 25 threads on each server
        created = set(pool.map(lambda n: create((first, second)[n % 2], ours), range(50)))
    assert len(created) == 50
    assert listed(first, ours) == listed(second, ours) == seeds | created
    sessions = httpx.get(second.url + "/__mock/sessions").json()["sessions"]
    assert "team" in sessions
    journal = httpx.get(second.url + "/__mock/journal", params={"session": "team"}).json()["entries"]
    assert sum(entry["method"] == "POST" and entry["status"] == 200 for entry in journal) == 50
    assert httpx.post(first.url + "/__mock/reset", params={"session": "team"}).status_code == 200
    assert listed(second, ours) == seeds
    assert listed(second, session("other")) == seeds  # sessions stay apart across processes


def test_racing_actions_on_one_job_take_turns(team: tuple[MockProcess, MockProcess]) -> None:
    servers = team  # 8 actors and 2 watchers, half on each server
    job_id = create(servers[0], FLATFILE)
    leads_to = {"ackJob": "executing", "failJob": "failed", "retryJob": "ready"}
    actions = ["executeJob", *leads_to]
    succeeded: list[str] = []
    seen: dict[int, list[tuple[str, str]]] = {0: [], 1: []}  # per watcher: (updatedAt, status) in reading order
    racing = threading.Event()
    racing.set()

    def act(worker: int) -> None:
        chosen = random.Random(worker)
        with httpx.Client(headers=FLATFILE, timeout=TIMEOUT) as client:
            for _ in range(12):
                action = chosen.choice(actions)
                path = f"/v1/jobs/{job_id}/{action.removesuffix('Job')}"
                response = client.post(servers[worker % 2].url + path, json={})
                assert response.status_code in (200, 400), response.text
                if response.status_code == 400:
                    assert "cannot be" in response.json()["errors"][0]["message"]
                    continue
                succeeded.append(action)
                if action in leads_to:
                    assert response.json()["data"]["status"] == leads_to[action]

    def watch(worker: int) -> None:
        with httpx.Client(headers=FLATFILE, timeout=TIMEOUT) as client:
            while racing.is_set():
                job = client.get(f"{servers[worker % 2].url}/v1/jobs/{job_id}").json()["data"]
                seen[worker].append((job["updatedAt"], job["status"]))

    watchers = [threading.Thread(target=watch, args=(n,)) for n in range(2)]
    for watcher in watchers:
        watcher.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(act, range(8)))
    finally:
        racing.clear()
        for watcher in watchers:
            watcher.join(TIMEOUT)
    final = httpx.get(f"{servers[1].url}/v1/jobs/{job_id}", headers=FLATFILE).json()["data"]
    # Every failure that was answered 200 was followed by a retry (only a failed job can be retried) or is the
    # end state: two changes from one status would both have succeeded had they not taken turns.
    assert succeeded.count("failJob") == succeeded.count("retryJob") + (final["status"] == "failed")
    assert succeeded.count("retryJob") > 0
    for readings in seen.values():
        assert readings, "a watcher saw nothing"
        assert {status for _, status in readings} <= STATUSES
        updated = [stamp for stamp, _ in readings]
        assert updated == sorted(updated), "updatedAt went back"


def _ticker_holders(url: str) -> list[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT activity.application_name FROM pg_locks AS locks "
            "JOIN pg_stat_activity AS activity ON activity.pid = locks.pid "
            "WHERE locks.locktype = 'advisory' AND locks.granted AND locks.classid = %s",
            (TICKER_LOCK,),
        ).fetchall()
    return [row[0] for row in rows]


def _ticking_process(url: str, processes: list[MockProcess]) -> MockProcess:
    deadline = time.monotonic() + TIMEOUT
    while not (holders := _ticker_holders(url)):
        assert time.monotonic() < deadline, "no process took the ticker's lock"
        time.sleep(0.05)
    assert len(holders) == 1, holders
    return next(process for process in processes if holders[0].endswith(f" {process.process.pid}"))


def test_a_killed_process_loses_no_answered_write_and_its_ticking_is_taken_over(
    mock_process: Servers, database: str
) -> None:
    servers = [serve(mock_process, database, "--auto-advance", "0.1") for _ in range(2)]
    doomed = _ticking_process(database, servers)
    survivor = next(server for server in servers if server is not doomed)
    answered: list[str] = []
    writing = threading.Event()
    writing.set()

    def write() -> None:
        with httpx.Client(headers=FLATFILE, timeout=TIMEOUT) as client:
            while writing.is_set():
                try:
                    response = client.post(doomed.url + "/v1/jobs", json=NEW_JOB)
                except httpx.TransportError:
                    return  # the server is gone: this write was never answered
                assert response.status_code == 200, response.text
                answered.append(response.json()["data"]["id"])

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + TIMEOUT
    while len(answered) < 40:
        assert time.monotonic() < deadline, "the writers did not get going"
        time.sleep(0.01)
    doomed.process.kill()  # SIGKILL, in the middle of the writes
    doomed.process.wait()
    writing.clear()
    for writer in writers:
        writer.join(TIMEOUT)
    assert set(answered) <= listed(survivor, FLATFILE)
    assert _ticking_process(database, [survivor]) is survivor
    response = httpx.post(survivor.url + "/v1/jobs", json={**NEW_JOB, "status": "ready"}, headers=FLATFILE)
    job_id = response.json()["data"]["id"]
    deadline = time.monotonic() + TIMEOUT
    while httpx.get(f"{survivor.url}/v1/jobs/{job_id}", headers=FLATFILE).json()["data"]["progress"] == 0:
        assert time.monotonic() < deadline, "time stood still after the takeover"
        time.sleep(0.05)


def test_a_database_that_goes_away_is_a_503_until_it_is_back(
    team: tuple[MockProcess, MockProcess], postgres: Any
) -> None:
    server = team[1]
    job_id = create(server, FLATFILE)
    postgres.stop()
    try:
        flatfile = httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=FLATFILE, timeout=TIMEOUT)
        sift = httpx.get(server.url + "/api/v1/jobs", headers=SIFT, timeout=TIMEOUT)
        control = httpx.get(server.url + "/__mock/sessions", timeout=TIMEOUT)
    finally:
        postgres.start()
    assert flatfile.status_code == sift.status_code == control.status_code == 503
    [error] = flatfile.json()["errors"]
    assert f"at 127.0.0.1:{postgres.port} is unavailable" in error["message"]
    assert sift.json()["code"] == 14  # google.rpc.Code UNAVAILABLE
    _recovers(server, job_id)
    # Restarted under a steady stream of reads: each is answered, 200 or 503, and the mock recovers again.
    statuses: list[int] = []
    reading = threading.Event()
    reading.set()

    def read() -> None:
        with httpx.Client(headers=FLATFILE, timeout=TIMEOUT) as client:
            while reading.is_set():
                statuses.append(client.get(f"{server.url}/v1/jobs/{job_id}").status_code)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        postgres.restart()
    finally:
        reading.clear()
        reader.join(TIMEOUT)
    assert statuses and set(statuses) <= {200, 503}, statuses
    _recovers(server, job_id)
    assert create(server, FLATFILE) in listed(server, FLATFILE)


def _recovers(server: MockProcess, job_id: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while (again := httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=FLATFILE, timeout=TIMEOUT)).status_code != 200:
        assert again.status_code == 503, again.text
        assert time.monotonic() < deadline, "the mock did not recover when the database came back"
        time.sleep(0.1)


def _refusal(capsys: pytest.CaptureFixture[str], url: str) -> str:
    assert main(["serve", "flatfile", "--mode", "stateful", "--state-url", url]) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message, message
    return message


def _tables(url: str) -> list[tuple[str, int]]:
    with psycopg.connect(url) as connection:
        names = [row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return sorted((name, connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names)


def test_an_unreachable_database_is_named_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    message = _refusal(capsys, f"postgresql://team:s3cret@127.0.0.1:{port}/jobs")
    assert f"127.0.0.1:{port}" in message and "s3cret" not in message


def test_another_applications_database_is_refused_and_left_alone(
    capsys: pytest.CaptureFixture[str], database: str
) -> None:
    with psycopg.connect(database) as connection:
        connection.execute("CREATE TABLE invoices (id integer PRIMARY KEY); INSERT INTO invoices VALUES (1), (2)")
    message = _refusal(capsys, database)
    assert "another application" in message and "invoices" in message
    assert _tables(database) == [("invoices", 2)]


def test_journal_writers_of_several_processes_and_resets_take_turns(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Engines stand in for processes: two write their journals while a third resets, as `--workers 2` does
    under load (a reset once deadlocked there on the journal rows both delete, and answered 503)."""
    with psycopg.connect(database, autocommit=True) as connection:  # a deadlock fails the test at once
        name = sql.Identifier(connection.info.dbname)
        connection.execute(sql.SQL("ALTER DATABASE {} SET deadlock_timeout = '50ms'").format(name))
    # A journal of one entry in each of many sessions: a batch a writer commits deletes the older entry of each
    # session in turn, holding those it deleted, while a reset deletes them all in the table's order, and the
    # other writer meets the same sessions in the opposite order.
    writers = [StateEngine.open(state_url=database, journal_size=1) for _ in range(2)]
    resetter = StateEngine.open(state_url=database)
    stop = threading.Event()

    def journal(engine: StateEngine, sessions: list[str]) -> int:
        written = 0
        while not stop.is_set():
            for session in sessions:
                engine.record(session, "GET", "/v1/jobs", 200)
            written += len(sessions)
            engine.journal(sessions[0])  # waits until they are written
        return written

    def reset() -> int:
        resets, deadline = 0, time.monotonic() + 3
        try:
            while time.monotonic() < deadline:
                resetter.reset()
                resets += 1
            return resets
        finally:
            stop.set()

    def vacuum() -> int:
        # As autovacuum does in a long run: freed space is reused, so the journal's rows no longer lie in the
        # order of their numbers, and a reset (in the table's order) and a trim (in theirs) meet head-on.
        with psycopg.connect(database, autocommit=True) as connection:
            while not stop.is_set():
                connection.execute("VACUUM journal")
        return 0

    pool = ThreadPoolExecutor(4)
    try:
        sessions = [f"team {n}" for n in range(100)]
        futures = [pool.submit(journal, writers[0], sessions), pool.submit(journal, writers[1], sessions[::-1])]
        futures += [pool.submit(reset), pool.submit(vacuum)]
        counts = [future.result(timeout=TIMEOUT * 2) for future in futures]  # raises what a reset raised
        assert min(counts[:3]) > 0, counts
        assert "not written to the journal" not in caplog.text  # what a writer's failure leaves
    finally:
        stop.set()
        pool.shutdown(wait=False)
    for engine in [*writers, resetter]:
        engine.close()


def test_a_database_of_schema_version_1_gets_journal_details_and_keeps_its_entries(database: str) -> None:
    engine = StateEngine.open(state_url=database)
    engine.record("bob", "GET", "/v1/jobs", 200)
    engine.close()
    with psycopg.connect(database) as connection:  # what version 1 had: a journal without details
        connection.execute("ALTER TABLE journal DROP COLUMN details; UPDATE jobs_mock_schema SET version = 1")
    engine = StateEngine.open(state_url=database)
    try:
        engine.record("bob", "POST", "/v1/jobs?x=1", 400, JournalDetails("x=1", "code=400", "missingType", 9))
        old, new = engine.journal("bob")
        assert (old["path"], old["query"], old["prefer"], old["example"], old["bodyBytes"]) == (
            "/v1/jobs",
            "",
            None,
            None,
            0,
        )
        assert (new["query"], new["prefer"], new["example"], new["bodyBytes"]) == ("x=1", "code=400", "missingType", 9)
    finally:
        engine.close()
    with psycopg.connect(database) as connection:
        assert connection.execute("SELECT version FROM jobs_mock_schema").fetchone() == (SCHEMA_VERSION,)


def test_another_schema_version_is_refused_and_left_alone(capsys: pytest.CaptureFixture[str], database: str) -> None:
    engine = StateEngine.open(state_url=database)
    engine.handle("flatfile", "createJob", StateRequest(body=NEW_JOB))
    engine.close()
    with psycopg.connect(database) as connection:
        connection.execute("UPDATE jobs_mock_schema SET version = %s", (SCHEMA_VERSION + 1,))
    before = _tables(database)
    message = _refusal(capsys, database)
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert _tables(database) == before
