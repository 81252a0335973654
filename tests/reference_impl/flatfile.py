"""Flatfile's Jobs API behaviour: an in-memory store of jobs and plans and the lifecycle the spec describes."""

from __future__ import annotations

import copy
import math
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .faults import Fault
from .spec import Violation

if TYPE_CHECKING:
    from .app import Call
    from .spec import Spec

# Which statuses each action may start from, and the status it leaves, as the spec's info.description
# and operation descriptions state the lifecycle: complete, fail and cancel finish any unfinished job.
FINAL = ("complete", "failed", "canceled")
UNSTARTED = ("created", "planning", "scheduled", "waiting")
UNFINISHED = (*UNSTARTED, "ready", "executing")
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "executeJob": (UNSTARTED, "ready"),
    "ackJob": (("ready", "executing"), "executing"),
    "completeJob": (UNFINISHED, "complete"),
    "failJob": (UNFINISHED, "failed"),
    "cancelJob": (UNFINISHED, "canceled"),
    "retryJob": (("failed",), "ready"),
    "ackJobOutcome": (FINAL, ""),
}
MAX_PARTS = 100
DEFAULT_PAGE_SIZE = 20
EMPTY_PLAN = {"fieldMapping": [], "unmappedSourceFields": [], "unmappedDestinationFields": []}
JOB_FILTERS = ("environmentId", "spaceId", "fileId", "parentId", "source")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FlatfileJobs:
    def __init__(self, spec: Spec, faults: frozenset[Fault]) -> None:
        self.faults = faults
        self.lock = threading.Lock()
        self.jobs = {job["id"]: copy.deepcopy(job) for job in spec.documented_items("listJobs", "data")}
        self.plans: dict[str, dict[str, Any]] = {}
        self.config_fields = spec.schema_properties("JobConfig")
        self.update_fields = spec.schema_properties("JobUpdate")

    # --- reading ---------------------------------------------------------------------------------------------
    def listJobs(self, call: Call) -> tuple[int, Any]:
        query = call.query
        if Fault.FILTER_IGNORED in self.faults:
            query = {name: value for name, value in query.items() if name not in ("environmentId", "spaceId")}
        size = query.get("pageSize", DEFAULT_PAGE_SIZE)
        page = query.get("pageNumber", 1)
        with self.lock:
            jobs = [job for job in self.jobs.values() if _listed(job, query)]
        jobs.sort(key=lambda job: job["createdAt"], reverse=query.get("sortDirection", "desc") == "desc")
        total = len(jobs)
        page_count = math.ceil(total / size)
        if Fault.PAGINATION_WRONG in self.faults:
            page_count += 1
        start = 0 if Fault.PAGE_NUMBER_IGNORED in self.faults else (page - 1) * size
        data = [self._present(job) for job in jobs[start : start + size]]
        return 200, {"data": data, "pagination": {"currentPage": page, "pageCount": page_count, "totalCount": total}}

    def getJob(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            job = self._present(self._find(call))
        if Fault.ID_MISMATCH in self.faults:
            job["id"] = f"us_jb_{uuid.uuid4().hex[:8]}"
        return 200, {"data": job}

    def getJobPlan(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            job = self._find(call)
            return 200, {"data": {"job": self._present(job), "plan": self.plans.get(job["id"], EMPTY_PLAN)}}

    def previewMutation(self, call: Call) -> tuple[int, Any]:
        return 200, {"data": []}

    # --- writing ---------------------------------------------------------------------------------------------
    def createJob(self, call: Call) -> tuple[int, Any]:
        body = call.body if isinstance(call.body, dict) else {}
        if body.get("operation") == "" and Fault.SERVER_ERROR_ON_EDGE in self.faults:
            raise ApiError(500, "internal error")
        now = _now()
        job = {"status": "created", "progress": 0, **_pick(body, *self.config_fields)}
        job.update(id=f"us_jb_{uuid.uuid4().hex[:12]}", createdBy="us_usr_reference", createdAt=now, updatedAt=now)
        if Fault.CREATED_NOT_READABLE not in self.faults:
            with self.lock:
                self.jobs[job["id"]] = job
        status = 201 if Fault.UNDOCUMENTED_STATUS in self.faults else 200
        return status, {"data": self._present(job)}

    def updateJob(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            job = self._find(call)
            updated = {**job, **_pick(call.body, *self.update_fields), "updatedAt": _now()}
            if Fault.UPDATE_NOT_STORED not in self.faults:
                job.update(updated)
            return 200, {"data": self._present(updated)}

    def deleteJob(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            job = self._find(call)
            if Fault.DELETED_STILL_READABLE not in self.faults:
                del self.jobs[job["id"]]
                self.plans.pop(job["id"], None)
        return 200, {"data": {"success": True}}

    def executeJob(self, call: Call) -> tuple[int, Any]:
        self._transition(call, "executeJob")
        return 200, {"data": {"success": True}}

    def ackJob(self, call: Call) -> tuple[int, Any]:
        details = call.body or {}
        return self._transition(
            call, "ackJob", startedAt=_now(), **_pick(details, "info", "progress", "estimatedCompletionAt")
        )

    def ackJobOutcome(self, call: Call) -> tuple[int, Any]:
        return self._transition(call, "ackJobOutcome", outcomeAcknowledgedAt=_now())

    def completeJob(self, call: Call) -> tuple[int, Any]:
        details = call.body or {}
        return self._transition(
            call, "completeJob", progress=100, finishedAt=_now(), **_pick(details, "outcome", "info")
        )

    def failJob(self, call: Call) -> tuple[int, Any]:
        details = call.body or {}
        return self._transition(call, "failJob", finishedAt=_now(), **_pick(details, "outcome", "info"))

    def cancelJob(self, call: Call) -> tuple[int, Any]:
        details = call.body or {}
        return self._transition(call, "cancelJob", finishedAt=_now(), **_pick(details, "info"))

    def retryJob(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            job = self._find(call)
            self._check_transition(job, "retryJob")
            retried = {name: value for name, value in job.items() if name not in ("finishedAt", "outcome")}
            retried.update(status="ready", progress=0, updatedAt=_now())
            self._store(job, retried)
            return 200, {"data": self._present(retried)}

    def replaceJobPlan(self, call: Call) -> tuple[int, Any]:
        return self._store_plan(call, base=EMPTY_PLAN)

    def updateJobPlan(self, call: Call) -> tuple[int, Any]:
        with self.lock:
            current = self.plans.get(call.path["jobId"], EMPTY_PLAN)
        return self._store_plan(call, base=current)

    def splitJob(self, call: Call) -> tuple[int, Any]:
        parts = call.body["parts"]
        if (len(parts) if isinstance(parts, list) else parts) > MAX_PARTS:
            raise ApiError(
                400, f"parts must be at most {MAX_PARTS}", [Violation("parts", f"at most {MAX_PARTS} parts")]
            )
        part_data = parts if isinstance(parts, list) else [{}] * parts
        with self.lock:
            job = self._find(call)
            now = _now()
            for index, data in enumerate(part_data, start=1):
                child = {**job, "id": f"us_jb_{uuid.uuid4().hex[:12]}", "parentId": job["id"], "part": index}
                child.update(partData=data, createdAt=now, updatedAt=now)
                self.jobs[child["id"]] = child
            job.update(partExecution="parallel" if call.body.get("runInParallel") else "sequential", updatedAt=now)
            return 200, {"data": self._present(job)}

    # --- helpers ---------------------------------------------------------------------------------------------
    def _store_plan(self, call: Call, *, base: dict[str, Any]) -> tuple[int, Any]:
        plan = {
            **base,
            **_pick(call.body, "fieldMapping", "unmappedSourceFields", "unmappedDestinationFields", "programId"),
        }
        with self.lock:
            job = self._find(call)
            if Fault.PLAN_NOT_STORED not in self.faults:
                self.plans[job["id"]] = plan
                job["updatedAt"] = _now()
            return 200, {"data": {"job": self._present(job), "plan": plan}}

    def _transition(self, call: Call, action: str, **changes: Any) -> tuple[int, Any]:
        with self.lock:
            job = self._find(call)
            self._check_transition(job, action)
            target = TRANSITIONS[action][1]
            if action == "completeJob" and Fault.COMPLETE_KEEPS_STATUS in self.faults:
                target = job["status"]
            moved = {**job, **changes, "status": target or job["status"], "updatedAt": _now()}
            self._store(job, moved)
            return 200, {"data": self._present(moved)}

    def _store(self, job: dict[str, Any], changed: dict[str, Any]) -> None:
        """A lifecycle action's result replaces the stored job (unless the action forgets to store it)."""
        if Fault.ACTION_NOT_STORED not in self.faults:
            job.clear()
            job.update(changed)

    def _check_transition(self, job: dict[str, Any], action: str) -> None:
        allowed, _ = TRANSITIONS[action]
        if job["status"] not in allowed:
            message = f"Job {job['id']} cannot do this: its status is {job['status']}"
            raise ApiError(400, message, [Violation("status", message)])

    def _find(self, call: Call) -> dict[str, Any]:
        job_id = call.path["jobId"]
        if job_id not in self.jobs:
            raise ApiError(404, f"Job {job_id} not found", [Violation("jobId", f"Job {job_id} not found")])
        return self.jobs[job_id]

    def _present(self, job: dict[str, Any]) -> dict[str, Any]:
        shown = copy.deepcopy(job)
        if Fault.MISSING_REQUIRED_FIELD in self.faults:
            del shown["createdAt"]
        if Fault.WRONG_TYPE in self.faults:
            shown["progress"] = str(shown.get("progress", 0))
        if Fault.ENUM_OUT_OF_SPEC in self.faults and shown.get("status") == "created":
            shown["status"] = "pending"
        return shown


def _pick(source: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: source[name] for name in names if name in source}


def _listed(job: dict[str, Any], query: dict[str, Any]) -> bool:
    if any(name in query and job.get(name) != query[name] for name in JOB_FILTERS):
        return False
    if query.get("workbookId") is not None and query["workbookId"] not in (job.get("destination"), job.get("source")):
        return False
    return not (query.get("excludeChildJobs") and "parentId" not in query and job.get("parentId"))
