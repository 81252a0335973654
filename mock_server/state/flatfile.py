"""Flatfile's Jobs API in stateful mode: its lifecycle table, list rules and the 17 operations."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import invalid
from .lifecycle import Action, Lifecycle, Transition
from .paging import boolean, integer, pagination
from .query import (
    AnyOf,
    Compare,
    Condition,
    FieldKind,
    Index,
    JobField,
    JobQuery,
    Not,
    Operator,
    Present,
    SortKey,
    Value,
    every,
)
from .rules import ApiRules, AutoAdvance, Context, StateResponse, act
from .spec_data import SpecData

UNSTARTED = frozenset({"created", "planning", "scheduled", "waiting"})
FINISHED = frozenset({"complete", "failed", "canceled"})
UNFINISHED = UNSTARTED | {"ready", "executing"}

# The lifecycle of the spec's info.description and operation descriptions.
LIFECYCLE = Lifecycle(
    id_field="id",
    status_field="status",
    refusal="Job {id} cannot {verb}: its status is {status}",
    refusal_field="status",
    timespec="milliseconds",
    touch_stamp=("updatedAt",),
    actions={
        "executeJob": Action("be executed", (Transition(UNSTARTED, "ready"),)),
        "ackJob": Action(
            "be acknowledged",
            (
                Transition(
                    frozenset({"ready", "executing"}), "executing", stamp_once=("startedAt",), take=("info", "progress")
                ),
            ),
        ),
        "completeJob": Action(
            "be completed",
            (
                Transition(
                    UNFINISHED,
                    "complete",
                    stamp=("finishedAt",),
                    take=("outcome", "info"),
                    fixed={"progress": 100},
                ),
            ),
        ),
        "failJob": Action(
            "be failed",
            (Transition(UNFINISHED, "failed", stamp=("finishedAt",), take=("outcome", "info")),),
        ),
        "cancelJob": Action(
            "be canceled", (Transition(UNFINISHED, "canceled", stamp=("finishedAt",), take=("info",)),)
        ),
        "retryJob": Action(
            "be retried",
            (
                Transition(
                    frozenset({"failed"}),
                    "ready",
                    clear=("finishedAt", "outcome", "outcomeAcknowledgedAt"),
                    fixed={"progress": 0},
                ),
            ),
        ),
        "ackJobOutcome": Action(
            "have its outcome acknowledged", (Transition(FINISHED, stamp=("outcomeAcknowledgedAt",)),)
        ),
        "splitJob": Action("be split", (Transition(UNFINISHED),)),
    },
)

AUTO_ADVANCE = AutoAdvance(
    steps={"ready": "ackJob"}, running="executing", finish="completeJob", progress_field="progress"
)

# Each list filter and the job fields it matches (a job belongs to a workbook it reads from or writes to).
LIST_FILTERS: Mapping[str, tuple[JobField, ...]] = {
    "environmentId": (JobField("environmentId"),),
    "spaceId": (JobField("spaceId"),),
    "workbookId": (JobField("source"), JobField("destination")),
    "fileId": (JobField("fileId"),),
    "parentId": (JobField("parentId"),),
    "source": (JobField("source"),),
}
PARENT = JobField("parentId")
CREATED_AT = JobField("createdAt", FieldKind.TIMESTAMP)
# Lists are sorted by creation, narrowed by any one filter field.
INDEXES: tuple[Index, ...] = (
    (SortKey(CREATED_AT), SortKey(None)),
    *((SortKey(field), SortKey(CREATED_AT), SortKey(None)) for field in dict.fromkeys(sum(LIST_FILTERS.values(), ()))),
)
SORT_DIRECTIONS = ("asc", "desc")
DEFAULT_PAGE_SIZE = 20
MAX_PARTS = 100
EMPTY_PLAN: Mapping[str, Any] = {"fieldMapping": [], "unmappedSourceFields": [], "unmappedDestinationFields": []}
# Fields of a job that describe its own run; a part of a split job starts without them.
RUN_FIELDS = frozenset(
    {
        "status",
        "progress",
        "outcome",
        "result",
        "info",
        "part",
        "partData",
        "partExecution",
        "parentId",
        "predecessorIds",
    }
)
ACTOR = "us_usr_mock"
ID_PREFIX = "us_jb_"
ID_ALPHABET = string.ascii_letters + string.digits


def _data(job: dict[str, Any]) -> dict[str, Any]:
    return {"data": job}


def _success(_: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"success": True}}


def _pick(source: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {name: source[name] for name in names if name in source}


class FlatfileJobs:
    def __init__(self, config_fields: Sequence[str], update_fields: Sequence[str], plan_fields: Sequence[str]) -> None:
        self.config_fields = tuple(config_fields)
        self.update_fields = tuple(update_fields)
        self.plan_fields = tuple(plan_fields)

    def operations(self) -> dict[str, Any]:
        return {
            "listJobs": self.list_jobs,
            "createJob": self.create_job,
            "getJob": self.get_job,
            "updateJob": self.update_job,
            "deleteJob": self.delete_job,
            "executeJob": act("executeJob", _success),
            "getJobPlan": self.get_plan,
            "replaceJobPlan": self.replace_plan,
            "updateJobPlan": self.update_plan,
            "ackJob": act("ackJob", _data),
            "ackJobOutcome": act("ackJobOutcome", _data),
            "completeJob": act("completeJob", _data),
            "failJob": act("failJob", _data),
            "cancelJob": act("cancelJob", _data),
            "retryJob": act("retryJob", _data),
            "previewMutation": self.preview_mutation,
            "splitJob": self.split_job,
        }

    def list_jobs(self, context: Context) -> StateResponse:
        query = context.request.query
        conditions: list[Condition] = []
        for parameter, fields in LIST_FILTERS.items():
            wanted = query.get(parameter)
            if wanted not in (None, ""):
                conditions.append(AnyOf(tuple(Compare(name, Operator.EQ, Value(str(wanted))) for name in fields)))
        if boolean(query, "excludeChildJobs") and query.get("parentId") in (None, ""):
            conditions.append(Not(Present(PARENT)))
        direction = query.get("sortDirection") or "desc"
        if direction not in SORT_DIRECTIONS:
            raise invalid("sortDirection must be asc or desc", "sortDirection")
        descending = direction == "desc"
        page_size = integer(query, "pageSize", DEFAULT_PAGE_SIZE, minimum=1)
        page_number = integer(query, "pageNumber", 1, minimum=1)
        where = every(*conditions)
        order = (SortKey(CREATED_AT, descending), SortKey(None, descending))
        session, api = context.session, context.rules.name
        total = context.tx.count(session, api, where)
        offset = (page_number - 1) * page_size
        # Past the last job there is nothing to read (and no offset too large for the store to take).
        rows = (
            context.tx.page(session, api, JobQuery(where, order), min(page_size, total), offset)
            if offset < total
            else []
        )
        jobs = [row.stored.job for row in rows]
        return StateResponse(200, {"data": jobs, "pagination": pagination(total, page_size, page_number)})

    def create_job(self, context: Context) -> StateResponse:
        body = context.request.body
        if not isinstance(body, Mapping):
            raise invalid("the body must be a JobConfig object", "body")
        job = {"status": "created", "progress": 0, **_pick(body, self.config_fields)}
        return StateResponse(200, _data(context.add(self._new_job(context, job)).job))

    def get_job(self, context: Context) -> StateResponse:
        return StateResponse(200, _data(context.find(to_change=False).job))

    def update_job(self, context: Context) -> StateResponse:
        stored = context.find()
        stored.job = context.lifecycle.touch(
            {**stored.job, **_pick(context.request.details, self.update_fields)}, context.now
        )
        return StateResponse(200, _data(context.save(stored).job))

    def delete_job(self, context: Context) -> StateResponse:
        context.remove(context.find().id)
        return StateResponse(200, _success({}))

    def get_plan(self, context: Context) -> StateResponse:
        stored = context.find(to_change=False)
        return StateResponse(200, {"data": {"job": stored.job, "plan": stored.hidden.get("plan", dict(EMPTY_PLAN))}})

    def replace_plan(self, context: Context) -> StateResponse:
        return self._store_plan(context, replace=True)

    def update_plan(self, context: Context) -> StateResponse:
        return self._store_plan(context, replace=False)

    def preview_mutation(self, context: Context) -> StateResponse:
        # The mock holds no sheet records, so no record would change: an empty diff.
        return StateResponse(200, {"data": []})

    def split_job(self, context: Context) -> StateResponse:
        parent = context.transition("splitJob")
        parts = self._parts(context.request.details.get("parts"))
        parallel = context.request.details.get("runInParallel") is True
        previous: str | None = None
        for number, part_data in enumerate(parts, start=1):
            child = {
                key: value for key, value in parent.job.items() if key in self.config_fields and key not in RUN_FIELDS
            }
            child.update(status="created", progress=0, parentId=parent.id, part=number, partData=part_data)
            if "spaceId" in parent.job:
                child["spaceId"] = parent.job["spaceId"]
            if previous is not None and not parallel:
                child["predecessorIds"] = [previous]
            previous = context.add(self._new_job(context, child)).id
        parent.job["partExecution"] = "parallel" if parallel else "sequential"
        return StateResponse(200, _data(context.save(parent).job))

    def _store_plan(self, context: Context, *, replace: bool) -> StateResponse:
        stored = context.find()
        base = {} if replace else stored.hidden.get("plan", dict(EMPTY_PLAN))
        plan = {**EMPTY_PLAN, **base, **_pick(context.request.details, self.plan_fields)}
        stored.hidden["plan"] = plan
        context.save(stored)
        return StateResponse(200, {"data": {"job": stored.job, "plan": plan}})

    def _new_job(self, context: Context, job: dict[str, Any]) -> dict[str, Any]:
        job_id = _new_id()
        while context.exists(job_id):
            job_id = _new_id()
        now = context.timestamp()
        return {**job, "id": job_id, "createdBy": ACTOR, "createdAt": now, "updatedAt": now}

    @staticmethod
    def _parts(parts: Any) -> list[dict[str, Any]]:
        """One partData object per part, from a count or a list of objects."""
        if isinstance(parts, int) and not isinstance(parts, bool):
            count, data = parts, None
        elif isinstance(parts, list) and all(isinstance(item, dict) for item in parts):
            count, data = len(parts), parts
        else:
            raise invalid("parts must be a number of parts or a list of partData objects", "parts")
        if count < 1:
            raise invalid("parts must be at least 1", "parts")
        if count > MAX_PARTS:
            raise invalid(f"parts must be at most {MAX_PARTS} (a limit of the mock)", "parts")
        return [dict(item) for item in data] if data is not None else [{} for _ in range(count)]


def _new_id() -> str:
    return ID_PREFIX + "".join(secrets.choice(ID_ALPHABET) for _ in range(8))


def flatfile_rules(spec: SpecData) -> ApiRules:
    """Flatfile's rules, with the seed jobs and the field lists read from its spec."""
    jobs = FlatfileJobs(spec.properties("JobConfig"), spec.properties("JobUpdate"), spec.properties("JobExecutionPlan"))
    return ApiRules(
        name="flatfile",
        lifecycle=LIFECYCLE,
        seeds=tuple(spec.example("listJobs", name="documented")["data"]),
        operations=jobs.operations(),
        indexes=INDEXES,
        auto_advance=AUTO_ADVANCE,
        not_found="Job {id} not found",
        not_found_field="jobId",
    )
