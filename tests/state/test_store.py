"""The store under stateful mode: state files, refusal of files that are not ours, sessions, journal, threads."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mock_server.state import StateEngine, StateError, StateFileError, StateRequest
from mock_server.state.database import APPLICATION_ID, SCHEMA_VERSION, check_state_file
from mock_server.state.store import JournalDetails, StoredJob
from tests.support.state import Client, FakeClock, job_ids, new_job, open_engine

SIFT_FAILED = "5f1c3a9e-8a4b-4d1e-9a7c-2e6b1d0f3c41"


def _write_through_engine(engine: StateEngine) -> dict[str, Any]:
    flatfile = Client(engine, "flatfile")
    job = new_job(flatfile, environmentId="us_env_keep")
    flatfile.call("executeJob", job["id"])
    flatfile.call(
        "replaceJobPlan",
        job["id"],
        body={
            "fileId": "f",
            "jobId": job["id"],
            "fieldMapping": [],
            "unmappedSourceFields": [],
            "unmappedDestinationFields": [],
            "programId": "p",
        },
    )
    Client(engine, "sift", session="other").call("retryJob", SIFT_FAILED)
    engine.record("other", "POST", "/api/v1/jobs/x:retry", 200)
    return job


def _snapshot(engine: StateEngine) -> tuple[object, ...]:
    flatfile, sift = Client(engine, "flatfile"), Client(engine, "sift", session="other")
    ids = [job["id"] for job in flatfile.call("listJobs")["data"]]
    plans = [flatfile.call("getJobPlan", job_id) for job_id in ids]
    return flatfile.call("listJobs"), plans, sift.call("listJobs"), engine.journal("other"), engine.sessions()


def test_a_state_file_survives_a_restart_with_nothing_lost(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "state.sqlite"
    first = open_engine(clock, path)
    job = _write_through_engine(first)
    before = _snapshot(first)
    first.close()
    second = open_engine(clock, path)
    try:
        assert _snapshot(second) == before
        assert Client(second, "flatfile").call("getJob", job["id"])["data"]["status"] == "ready"
        assert second.sessions() == ["default", "other"]
    finally:
        second.close()


def test_the_default_store_lives_in_memory_only(clock: FakeClock) -> None:
    first = open_engine(clock)
    new_job(Client(first, "flatfile"))
    first.close()
    second = open_engine(clock)
    assert Client(second, "flatfile").call("listJobs")["pagination"]["totalCount"] == 1
    second.close()


def test_open_uses_the_bundled_specs_and_the_state_file(tmp_path: Path) -> None:
    engine = StateEngine.open(tmp_path / "state.sqlite")
    try:
        assert engine.apis == ("flatfile", "sift")
        assert engine.handle("sift", "listJobs", StateRequest()).body["jobs"]
    finally:
        engine.close()
    assert (tmp_path / "state.sqlite").stat().st_size > 0


def test_a_failed_operation_leaves_no_partial_write(flatfile: Client) -> None:
    parent = new_job(flatfile)
    flatfile.refused("splitJob", parent["id"], body={"parts": 101})  # the transition happened before the refusal
    assert flatfile.call("getJob", parent["id"])["data"] == parent
    assert flatfile.call("listJobs")["pagination"]["totalCount"] == 2


def _foreign_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.execute("INSERT INTO notes VALUES ('mine')")
    connection.commit()
    connection.close()


def _foreign_application(path: Path) -> None:
    _foreign_database(path)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA application_id = 42")
    connection.close()


def _other_version(path: Path) -> None:
    open_engine(FakeClock(), path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.close()


def _corrupt(path: Path) -> None:
    open_engine(FakeClock(), path).close()
    data = bytearray(path.read_bytes())
    data[100:] = bytes(len(data) - 100)  # keep the header (our application_id), wipe every page after it
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: path.write_text("just some notes, not a database\n" * 100), "not a jobs-mock state file"),
        (_foreign_database, "belongs to another application"),
        (_foreign_application, "application_id 0x2a"),
        (_other_version, "schema version 99"),
        (_corrupt, "refusing"),
    ],
    ids=["text-file", "foreign-sqlite", "foreign-application-id", "other-schema-version", "corrupt"],
)
def test_a_file_that_is_not_ours_is_refused_and_left_byte_identical(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "state.sqlite"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    with pytest.raises(StateFileError) as raised:
        open_engine(FakeClock(), path)
    assert str(path) in str(raised.value) and reason in str(raised.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.sqlite"]


def test_a_file_in_use_by_another_server_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "state.sqlite"
    first = open_engine(clock, path)
    try:
        with pytest.raises(StateFileError, match="in use by another process"):
            open_engine(clock, path)
    finally:
        first.close()


def test_a_state_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="does not exist"):
        open_engine(FakeClock(), tmp_path / "nowhere" / "state.sqlite")


def test_an_empty_file_becomes_a_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.touch()
    open_engine(FakeClock(), path).close()
    assert sqlite3.connect(path).execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_sessions_see_stores_of_their_own(engine: StateEngine) -> None:
    alice, bob = Client(engine, "flatfile", "alice"), Client(engine, "flatfile", "bob")
    job = new_job(alice)
    assert alice.call("listJobs")["pagination"]["totalCount"] == 2
    assert bob.call("listJobs")["pagination"]["totalCount"] == 1  # only the seed
    assert bob.refused("getJob", job["id"]).status == 404
    assert Client(engine, "flatfile").call("listJobs")["pagination"]["totalCount"] == 1


def test_reset_one_session_or_all(engine: StateEngine) -> None:
    alice, bob = Client(engine, "flatfile", "alice"), Client(engine, "flatfile", "bob")
    new_job(alice)
    new_job(bob)
    alice.call("deleteJob", "us_jb_YOUR_ID")
    engine.reset("alice")
    assert [job["id"] for job in alice.call("listJobs")["data"]] == ["us_jb_YOUR_ID"]  # seeded again
    assert bob.call("listJobs")["pagination"]["totalCount"] == 2
    engine.reset()
    assert bob.call("listJobs")["pagination"]["totalCount"] == 1


@pytest.mark.parametrize("name", ["x" * 129, "tab\there"])
def test_a_bad_session_name_is_refused(engine: StateEngine, name: str) -> None:
    with pytest.raises(StateError) as raised:
        engine.handle("flatfile", "listJobs", StateRequest(session=name))
    assert (raised.value.status, raised.value.field) == (400, "X-Mock-Session")


def test_the_journal_is_per_session_and_bounded(clock: FakeClock) -> None:
    engine = open_engine(clock, journal_size=5)
    try:
        for number in range(8):
            engine.record("alice", "GET", f"/v1/jobs/{number}", 200)
        engine.record(None, "DELETE", "/v1/jobs/x", 404)
        alice = engine.journal("alice")
        assert [entry["path"] for entry in alice] == [f"/v1/jobs/{number}" for number in range(3, 8)]
        untold = {"query": "", "prefer": None, "example": None, "bodyBytes": 0}  # what the engine was not told
        assert alice[0] == {"method": "GET", "path": "/v1/jobs/3", "status": 200, "time": alice[0]["time"], **untold}
        assert alice[0]["time"].startswith("2026-01-02T03:04:05.") and alice[0]["time"] < alice[-1]["time"]
        assert engine.journal() == [
            {"method": "DELETE", "path": "/v1/jobs/x", "status": 404, "time": engine.journal()[0]["time"], **untold}
        ]
        engine.reset("alice")
        assert engine.journal("alice") == []
    finally:
        engine.close()


def test_concurrent_creates_make_as_many_jobs(tmp_path: Path, clock: FakeClock) -> None:
    engine = open_engine(clock, tmp_path / "state.sqlite")
    flatfile = Client(engine, "flatfile")
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            created = list(pool.map(lambda _: new_job(flatfile)["id"], range(50)))
        assert len(set(created)) == 50
        listed = flatfile.call("listJobs", pageSize=100)
        assert listed["pagination"]["totalCount"] == 51
        assert set(created) <= {job["id"] for job in listed["data"]}
    finally:
        engine.close()


def _race(flatfile: Client, job_id: str, actions: tuple[str, ...]) -> list[str]:
    """Start every action on the job at the same moment; each one's resulting status, or its refusal."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def attempt(action: str) -> None:
        barrier.wait()
        try:
            outcomes.append(flatfile.call(action, job_id)["data"]["status"])
        except StateError as error:
            outcomes.append(f"refused: {error.message}")

    threads = [threading.Thread(target=attempt, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def test_concurrent_transitions_on_one_job_end_in_one_valid_state(flatfile: Client) -> None:
    for _ in range(10):
        job = new_job(flatfile)
        flatfile.call("executeJob", job["id"])
        flatfile.call("ackJob", job["id"])
        outcomes = _race(flatfile, job["id"], ("completeJob", "cancelJob", "failJob"))
        final = flatfile.call("getJob", job["id"])["data"]
        assert final["status"] in {"complete", "canceled", "failed"}
        assert outcomes.count(final["status"]) == 1
        refusals = [outcome for outcome in outcomes if outcome.startswith("refused")]
        assert len(refusals) == 2 and all(f"its status is {final['status']}" in refusal for refusal in refusals)


# A writer that creates jobs with a large input until it is killed, printing each job's id once it is stored:
# large writes keep a hot journal beside the file for most of each commit, where a kill leaves it behind.
_WRITER = """
import sys
from mock_server.state import StateEngine, StateRequest
engine = StateEngine.open(sys.argv[1])
body = {"type": "workbook", "operation": "submitAction", "source": "us_wb_1", "input": {"blob": "x" * 200_000}}
while True:
    job = engine.handle("flatfile", "createJob", StateRequest(session="crash", body=body)).body["data"]
    print(job["id"], flush=True)
"""
KILLS = 10
WRITES_BEFORE_KILL = (1, 2, 3, 5, 8)


def _stored_ids(engine: StateEngine) -> set[str]:
    request = StateRequest(session="crash", query={"pageSize": 10_000})
    return {job["id"] for job in engine.handle("flatfile", "listJobs", request).body["data"]}


def test_every_answered_write_survives_kill_9_and_the_file_is_accepted_again(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    answered: set[str] = set()
    for kill in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert writer.stdout is not None
            for _ in range(WRITES_BEFORE_KILL[kill % len(WRITES_BEFORE_KILL)]):
                line = writer.stdout.readline()
                assert line, f"the writer stopped after kill {kill}: {writer.stderr.read() if writer.stderr else ''}"
                answered.add(line.strip())
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.communicate(timeout=30)
        check_state_file(path)  # what a --reload parent checks, reading only
        restarted = StateEngine.open(path)
        try:
            assert answered <= _stored_ids(restarted)
        finally:
            restarted.close()


def test_a_write_killed_before_its_answer_is_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    open_engine(FakeClock(), path).close()
    script = (
        "import sys, time\n"
        "from mock_server.state.store import JournalDetails, StoredJob\n"
        "from mock_server.state.sqlite_store import SqliteJobStore\n"
        "store = SqliteJobStore(sys.argv[1])\n"
        "with store.transaction() as tx:\n"
        "    for n in range(400):\n"  # more than SQLite's page cache: pages reach the file before the commit
        "        tx.insert('crash', 'flatfile', StoredJob(id=f'x{n}', job={'blob': 'x' * 20_000}), None)\n"
        "    print('written', flush=True)\n"
        "    time.sleep(60)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "written\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.communicate(timeout=30)
    assert Path(f"{path}-journal").stat().st_size > 0  # the hot journal the killed writer left
    restarted = open_engine(FakeClock(), path)
    try:
        assert _stored_ids(restarted) == {"us_jb_YOUR_ID"}  # only the seed: the unanswered write is gone
    finally:
        restarted.close()


BULK = "us_env_bulk"
MARKED = "us_env_marked"


def _populated(clock: FakeClock, bulk: int) -> StateEngine:
    """An engine whose session "big" holds `bulk` old jobs of each API, then the same 30 new "marked" ones."""
    engine = open_engine(clock)
    engine.handle("flatfile", "listJobs", StateRequest(session="big"))  # seeds the session
    engine.handle("sift", "listJobs", StateRequest(session="big"))
    with engine.store.transaction() as tx:
        for number in range(bulk + 30):
            marked = number >= bulk
            second = "2025-01-01T00:00:00.000Z" if not marked else f"2026-01-01T00:{number - bulk:02}:00.000Z"
            flatfile = {"id": f"us_jb_{number}", "createdAt": second, "environmentId": MARKED if marked else BULK}
            tx.insert("big", "flatfile", StoredJob(id=flatfile["id"], job=flatfile), "created")
            status = "JOB_STATUS_RUNNING" if marked else "JOB_STATUS_FINISHED"
            sift = {"jobId": f"job-{number}", "createdDate": second.replace(".000", ""), "jobStatus": status}
            tx.insert("big", "sift", StoredJob(id=sift["jobId"], job=sift), status)
    return engine


def _work(engine: StateEngine, api: str, **query: Any) -> tuple[int, int, Any]:
    """(SQL statements, SQLite virtual-machine steps, body) of one list call."""
    connection = engine.store.connection  # type: ignore[attr-defined]
    statements: list[str] = []
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    connection.set_trace_callback(statements.append)
    connection.set_progress_handler(step, 1)
    try:
        body = engine.handle(api, "listJobs", StateRequest(session="big", query=query)).body
    finally:
        connection.set_trace_callback(None)
        connection.set_progress_handler(None, 1)
    return len(statements), steps[0], body


LISTS = [
    ("flatfile", {}),
    ("flatfile", {"sortDirection": "asc", "pageSize": 5}),
    ("flatfile", {"environmentId": MARKED}),
    ("sift", {}),
    ("sift", {"filter": 'job_status == "JOB_STATUS_RUNNING"', "pageSize": 10}),
    ("sift", {"orderBy": "job_status desc, created_date desc", "pageSize": 10}),
]


def test_a_page_costs_the_same_work_at_100_and_100_000_jobs(clock: FakeClock) -> None:
    small, large = _populated(clock, 100), _populated(clock, 100_000)
    try:
        for api, query in LISTS:
            few, many = _work(small, api, **query), _work(large, api, **query)
            assert many[:2] == few[:2], (api, query)
            assert len(many[2]["jobs" if api == "sift" else "data"]) == len(few[2]["jobs" if api == "sift" else "data"])
        token = _work(large, "sift", pageSize=10)[2]["nextPageToken"]
        few, many = (
            _work(small, "sift", pageSize=10, pageToken=token),
            _work(large, "sift", pageSize=10, pageToken=token),
        )
        assert many[:2] == few[:2]
        assert _work(large, "flatfile")[2]["pagination"]["totalCount"] == 100_031
    finally:
        small.close()
        large.close()


def test_a_state_file_of_schema_version_1_is_brought_up_to_date(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "state.sqlite"
    first = open_engine(clock, path)
    kept = [new_job(Client(first, "flatfile"))["id"] for _ in range(3)]
    first.close()
    with sqlite3.connect(path) as older:  # what version 1 had: no job counts, no journal details
        older.executescript(
            "DROP TRIGGER job_counts_insert; DROP TRIGGER job_counts_delete; DROP TABLE job_counts;"
            "ALTER TABLE journal DROP COLUMN details; PRAGMA user_version = 1;"
        )
    older.close()
    second = open_engine(clock, path)
    try:
        flatfile = Client(second, "flatfile")
        assert flatfile.call("listJobs")["pagination"]["totalCount"] == 4
        assert set(kept) <= set(job_ids(flatfile.call("listJobs")["data"]))
        flatfile.call("deleteJob", kept[0])
        assert flatfile.call("listJobs")["pagination"]["totalCount"] == 3
    finally:
        second.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_state_file_of_schema_version_2_keeps_its_journal_and_records_details(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "state.sqlite"
    open_engine(clock, path).close()
    with sqlite3.connect(path) as older:  # what version 2 had: a journal without details
        older.executescript(
            "ALTER TABLE journal DROP COLUMN details;"
            "INSERT INTO journal (session, method, path, status, at) VALUES ('bob', 'GET', '/v1/jobs', 200, 'then');"
            "PRAGMA user_version = 2;"
        )
    older.close()
    engine = open_engine(clock, path)
    try:
        engine.record("bob", "POST", "/v1/jobs?x=1", 201, JournalDetails("x=1", "code=201", "created", 52))
        old, new = engine.journal("bob")
        assert old == {"method": "GET", "path": "/v1/jobs", "status": 200, "time": "then"} | {
            "query": "",
            "prefer": None,
            "example": None,
            "bodyBytes": 0,
        }
        assert (new["query"], new["prefer"], new["example"], new["bodyBytes"]) == ("x=1", "code=201", "created", 52)
    finally:
        engine.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
