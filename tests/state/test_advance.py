"""Auto-advance: time moves queued jobs to running, ticks their progress to 100, and finishes them."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.state import StateEngine, StateRequest
from mock_server.state.engine import ADVANCE_BATCH
from mock_server.state.store import StoredJob
from tests.support.state import Client, FakeClock, new_job

RUNNING = "c7e4a1f0-6d2b-4e9c-8a5f-1b3d9e7c2a60"
FAILED = "5f1c3a9e-8a4b-4d1e-9a7c-2e6b1d0f3c41"


def sift_job(client: Client, job_id: str) -> dict[str, object]:
    return next(job for job in client.call("listJobs")["jobs"] if job["jobId"] == job_id)


def test_flatfile_ready_job_executes_progresses_and_completes(
    engine: StateEngine, flatfile: Client, clock: FakeClock
) -> None:
    job = new_job(flatfile)
    flatfile.call("executeJob", job["id"])
    engine.advance(1)
    started = flatfile.call("getJob", job["id"])["data"]
    assert (started["status"], started["progress"]) == ("executing", 0) and "startedAt" in started
    progress = []
    for _ in range(4):
        clock.move(2.5)
        engine.advance(2.5)
        progress.append(flatfile.call("getJob", job["id"])["data"]["progress"])
    assert progress == [25, 50, 75, 100]
    done = flatfile.call("getJob", job["id"])["data"]
    assert done["status"] == "complete" and "finishedAt" in done and done["updatedAt"] > started["updatedAt"]


def test_flatfile_progress_is_whole_percents_however_time_is_sliced(engine: StateEngine, flatfile: Client) -> None:
    job = new_job(flatfile)
    flatfile.call("executeJob", job["id"])
    engine.advance(1)
    shown = []
    for _ in range(6):  # a ticker's steps are never exactly a second: 1.002 s at 10 %/s is 10.02 %
        engine.advance(1.002)
        shown.append(flatfile.call("getJob", job["id"])["data"]["progress"])
    assert shown == [10, 20, 30, 40, 50, 60] and all(type(value) is int for value in shown)
    for _ in range(5):  # steps smaller than a percent still add up
        engine.advance(0.02)
    assert flatfile.call("getJob", job["id"])["data"]["progress"] == 61


def test_flatfile_progress_continues_from_what_the_listener_reported(engine: StateEngine, flatfile: Client) -> None:
    job = new_job(flatfile, status="ready")
    flatfile.call("ackJob", job["id"], body={"progress": 95})
    engine.advance(0.2)
    assert flatfile.call("getJob", job["id"])["data"]["progress"] == 97
    engine.advance(1)
    assert flatfile.call("getJob", job["id"])["data"]["status"] == "complete"


def test_advance_leaves_other_statuses_alone(engine: StateEngine, flatfile: Client) -> None:
    jobs = [new_job(flatfile, status=status) for status in ("created", "waiting", "failed", "canceled")]
    engine.advance(100)
    assert [flatfile.call("getJob", job["id"])["data"] for job in jobs] == jobs


def test_advance_reaches_every_session(engine: StateEngine) -> None:
    clients = [Client(engine, "flatfile", name) for name in ("alice", "bob")]
    jobs = [new_job(client, status="ready") for client in clients]
    assert engine.advance(1) == 2
    assert [client.call("getJob", job["id"])["data"]["status"] for client, job in zip(clients, jobs, strict=True)] == [
        "executing",
        "executing",
    ]


def test_sift_running_job_finishes(engine: StateEngine, sift: Client) -> None:
    engine.advance(50)  # no session exists yet: nothing to advance, nothing seeded
    assert sift_job(sift, RUNNING)["jobStatus"] == "JOB_STATUS_RUNNING"
    engine.advance(5)
    assert sift_job(sift, RUNNING)["jobStatus"] == "JOB_STATUS_RUNNING"
    engine.advance(5)
    finished = sift_job(sift, RUNNING)
    assert finished["jobStatus"] == "JOB_STATUS_FINISHED" and "completedDate" in finished


def test_sift_retried_job_starts_then_finishes(engine: StateEngine, sift: Client) -> None:
    sift.call("retryJob", FAILED)
    engine.advance(1)
    started = sift_job(sift, FAILED)
    assert started["jobStatus"] == "JOB_STATUS_RUNNING" and "startedDate" in started
    engine.advance(9.9)
    assert sift_job(sift, FAILED)["jobStatus"] == "JOB_STATUS_RUNNING"
    engine.advance(0.1)
    assert sift_job(sift, FAILED)["jobStatus"] == "JOB_STATUS_FINISHED"


def test_sift_cancel_request_is_honoured_at_the_next_tick(engine: StateEngine, sift: Client) -> None:
    sift.call("cancelJob", RUNNING)
    engine.advance(1)
    cancelled = sift_job(sift, RUNNING)
    assert cancelled["jobStatus"] == "JOB_STATUS_CANCELLED" and "completedDate" in cancelled


def test_time_does_not_run_backwards(engine: StateEngine) -> None:
    with pytest.raises(ValueError, match="at least 0"):
        engine.advance(-1)


def test_advance_changes_many_jobs_a_batch_per_transaction(
    engine: StateEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = 2 * ADVANCE_BATCH + 1
    engine.handle("flatfile", "listJobs", StateRequest(session="many"))  # seeds the session
    with engine.store.transaction() as tx:
        for number in range(count):
            job = {"id": f"us_jb_{number}", "status": "ready", "createdAt": "2026-01-01T00:00:00.000Z"}
            tx.insert("many", "flatfile", StoredJob(id=job["id"], job=job), "ready")
    opened = []
    transaction = engine.store.transaction

    def counted() -> Any:
        opened.append(1)
        return transaction()

    monkeypatch.setattr(engine.store, "transaction", counted)
    assert engine.advance(1) == count
    assert len(opened) >= 3  # never one transaction holding the store for all of them
    listed = engine.handle("flatfile", "listJobs", StateRequest(session="many", query={"pageSize": count + 1}))
    statuses = {job["id"]: job["status"] for job in listed.body["data"]}
    assert [statuses[f"us_jb_{number}"] for number in range(count)] == ["executing"] * count
