"""Sift's Jobs API behaviour: seeded jobs, page-token paging, ordering, a small filter language, cancel, retry."""

from __future__ import annotations

import base64
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .faults import Fault

if TYPE_CHECKING:
    from .app import Call
    from .spec import Spec

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
FINAL = {"JOB_STATUS_FINISHED", "JOB_STATUS_FAILED", "JOB_STATUS_CANCELLED"}
FILTER_FIELDS = {
    "job_id": "jobId",
    "created_by_user_id": "createdByUserId",
    "modified_by_user_id": "modifiedByUserId",
    "job_status": "jobStatus",
}
FILTER = re.compile(r'^\s*(?P<field>[a-z_]+)\s*==\s*"(?P<value>[^"]*)"\s*$')
ORGANIZATION = "3e8f5a2c-9d1b-4c7e-a6f0-8b2d4e1c9a57"
SEED_STATUSES = ["JOB_STATUS_RUNNING", "JOB_STATUS_FINISHED", "JOB_STATUS_FAILED", "JOB_STATUS_CREATED"] * 15


def _seed_job(index: int, status: str) -> dict[str, Any]:
    created = f"2025-03-14T{8 + index // 60:02d}:{index % 60:02d}:00Z"
    job = {
        "jobId": str(uuid.UUID(int=index + 1)),
        "organizationId": ORGANIZATION,
        "createdByUserId": "d8b3f1e7-5a2c-4e9d-b0f6-3c7a9e1d4b82",
        "modifiedByUserId": "d8b3f1e7-5a2c-4e9d-b0f6-3c7a9e1d4b82",
        "createdDate": created,
        "modifiedDate": created,
        "jobType": "JOB_TYPE_DATA_IMPORT",
        "jobStatus": status,
        "jobStatusDetails": {"dataImport": {"pointsProcessed": "1250000", "pointsTotal": "4000000"}},
        "jobDetails": {"dataImport": {"dataImportId": "e2a9c4f7-8b1d-4e6a-a3c5-9f0b7d2e4c18"}},
    }
    if status != "JOB_STATUS_CREATED":
        job["startedDate"] = created
    if status in FINAL:
        job["completedDate"] = created
    return job


class SiftJobs:
    def __init__(self, spec: Spec, faults: frozenset[Fault]) -> None:
        self.faults = faults
        self.lock = threading.Lock()
        seeded = [*spec.documented_items("listJobs", "jobs"), *(_seed_job(i, s) for i, s in enumerate(SEED_STATUSES))]
        self.jobs = {job["jobId"]: dict(job) for job in seeded}

    def listJobs(self, call: Call) -> tuple[int, Any]:
        query = call.query
        size = query.get("pageSize") or DEFAULT_PAGE_SIZE
        size = min(size, MAX_PAGE_SIZE)
        offset = _offset(query.get("pageToken", ""))
        with self.lock:
            jobs = [job for job in self.jobs.values() if _matches(job, query.get("filter", ""))]
            if Fault.SIFT_FILTER_IGNORED in self.faults:
                jobs = list(self.jobs.values())
        for field, descending in reversed(_ordering(query.get("orderBy") or "created_date desc")):
            jobs.sort(key=lambda job: job.get(field, ""), reverse=descending)
        page = [dict(job) for job in jobs[offset : offset + size]]
        if Fault.SIFT_ENUM_VIOLATION in self.faults:
            for job in page:
                job["jobStatus"] = "JOB_STATUS_DONE"
        body: dict[str, Any] = {"jobs": page}
        if offset + size < len(jobs):
            body["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{offset + size}".encode()).decode()
        return 200, body

    def cancelJob(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            job = self._find(call.path["jobId"])
            if job["jobStatus"] in FINAL:
                raise ApiError(400, f"job {job['jobId']} cannot be cancelled in status {job['jobStatus']}")
            if Fault.SIFT_CANCEL_NOOP not in self.faults:
                job["jobStatus"] = (
                    "JOB_STATUS_CANCEL_REQUESTED"
                    if job["jobStatus"] == "JOB_STATUS_RUNNING"
                    else "JOB_STATUS_CANCELLED"
                )
                job["modifiedDate"] = _now()
        return 200, {}

    def retryJob(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            job = self._find(call.path["jobId"])
            if job["jobStatus"] not in ("JOB_STATUS_FAILED", "JOB_STATUS_CANCELLED"):
                raise ApiError(400, f"job {job['jobId']} cannot be retried in status {job['jobStatus']}")
            job.update(jobStatus="JOB_STATUS_CREATED", modifiedDate=_now())
            for stale in ("startedDate", "completedDate"):
                job.pop(stale, None)
            answer = dict(job)
        if Fault.SIFT_RETRY_WRONG_JOB in self.faults:
            answer["jobId"] = str(uuid.uuid4())
        return 200, {"job": answer}

    def _find(self, job_id: str) -> dict[str, Any]:
        if job_id not in self.jobs:
            raise ApiError(404, f"job {job_id} not found")
        return self.jobs[job_id]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _offset(token: str) -> int:
    if not token:
        return 0
    try:
        prefix, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if prefix == "offset" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeError):
        pass
    raise ApiError(400, f"invalid page_token: {token!r}")


def _matches(job: dict[str, Any], expression: str) -> bool:
    if not expression:
        return True
    match = FILTER.match(expression)
    if match is None or match["field"] not in FILTER_FIELDS:
        raise ApiError(400, f'invalid filter: {expression!r} is not `FIELD == "VALUE"` over {", ".join(FILTER_FIELDS)}')
    return job.get(FILTER_FIELDS[match["field"]]) == match["value"]


def _ordering(order_by: str) -> list[tuple[str, bool]]:
    fields = []
    for part in order_by.split(","):
        name, _, direction = part.strip().partition(" ")
        camel = re.sub(r"_(\w)", lambda m: m[1].upper(), name)
        fields.append((camel, direction == "desc"))
    return fields
