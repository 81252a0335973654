"""Sift's Jobs API in stateful mode: its lifecycle table, CEL-filtered token-paged listing, cancel and retry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cel_filter import compile_filter
from .errors import invalid
from .lifecycle import Action, Lifecycle, Transition
from .paging import PageTokens, integer, scan
from .query import Compare, FieldKind, Index, JobField, JobQuery, Operator, SortKey, Value, every
from .rules import ApiRules, AutoAdvance, Reader, StateResponse, act
from .spec_data import SpecData

CREATED = "JOB_STATUS_CREATED"
RUNNING = "JOB_STATUS_RUNNING"
FINISHED = "JOB_STATUS_FINISHED"
FAILED = "JOB_STATUS_FAILED"
CANCELLED = "JOB_STATUS_CANCELLED"
CANCEL_REQUESTED = "JOB_STATUS_CANCEL_REQUESTED"
ACTOR = "6d6f636b-0000-4000-8000-000000000000"

# cancelJob, retryJob, and the moves only time makes (start, finish, stop), as the spec describes them.
LIFECYCLE = Lifecycle(
    id_field="jobId",
    status_field="jobStatus",
    refusal="job {id} cannot {verb} in status {status}",
    refusal_field=None,
    timespec="seconds",
    touch_stamp=("modifiedDate",),
    touch_fixed={"modifiedByUserId": ACTOR},
    actions={
        "cancelJob": Action(
            "be cancelled",
            (
                Transition(frozenset({CREATED}), CANCELLED, stamp=("completedDate",)),
                Transition(frozenset({RUNNING, CANCEL_REQUESTED}), CANCEL_REQUESTED),
            ),
        ),
        "retryJob": Action(
            "be retried",
            (
                Transition(
                    frozenset({FAILED}),
                    CREATED,
                    clear=(
                        "startedDate",
                        "completedDate",
                        "jobStatusDetails.dataImport.pointsProcessed",
                        "jobStatusDetails.dataExport.errorMessage",
                    ),
                ),
            ),
        ),
        "start": Action("start", (Transition(frozenset({CREATED}), RUNNING, stamp=("startedDate",)),)),
        "finish": Action("finish", (Transition(frozenset({RUNNING}), FINISHED, stamp=("completedDate",)),)),
        "stop": Action("stop", (Transition(frozenset({CANCEL_REQUESTED}), CANCELLED, stamp=("completedDate",)),)),
    },
)

AUTO_ADVANCE = AutoAdvance(
    steps={CREATED: "start", CANCEL_REQUESTED: "stop"}, running=RUNNING, finish="finish", progress_field=None
)

# The variables a CEL filter may use, and the fields orderBy may name.
CEL_FIELDS: Mapping[str, JobField] = {
    "job_id": JobField("jobId"),
    "created_by_user_id": JobField("createdByUserId"),
    "modified_by_user_id": JobField("modifiedByUserId"),
    "created_date": JobField("createdDate", FieldKind.TIMESTAMP),
    "modified_date": JobField("modifiedDate", FieldKind.TIMESTAMP),
    "started_date": JobField("startedDate", FieldKind.TIMESTAMP),
    "completed_date": JobField("completedDate", FieldKind.TIMESTAMP),
    "job_status": JobField("jobStatus"),
}
ORGANIZATION = JobField("organizationId")
ORDERABLE = ("created_date", "modified_date", "started_date", "completed_date", "job_status")
DEFAULT_ORDER = "created_date desc"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
TOKENS = PageTokens("pageToken")
# Each orderable field (an index serves both directions), the default order, and it within an organization.
INDEXES: tuple[Index, ...] = (
    *((SortKey(CEL_FIELDS[name]),) for name in ORDERABLE),
    (SortKey(CEL_FIELDS["created_date"], descending=True),),
    (SortKey(ORGANIZATION), SortKey(CEL_FIELDS["created_date"], descending=True)),
)


def order_by(text: str) -> tuple[SortKey, ...]:
    """AIP-132 ordering: comma-separated `FIELD[ desc]`."""
    keys = []
    for clause in text.split(","):
        words = clause.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] != "desc"):
            raise invalid(f'invalid order_by: "{clause.strip()}" is not FIELD or FIELD desc', "orderBy")
        if words[0] not in ORDERABLE:
            allowed = ", ".join(ORDERABLE)
            raise invalid(f'invalid order_by: unsupported field "{words[0]}"; allowed fields are {allowed}', "orderBy")
        keys.append(SortKey(CEL_FIELDS[words[0]], descending=len(words) == 2))
    return (*keys, SortKey(None))  # ties keep the order jobs were stored in


def list_jobs(context: Reader) -> StateResponse:
    query = context.request.query
    page_size = min(integer(query, "pageSize", 0, minimum=0) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    order = query.get("orderBy") or DEFAULT_ORDER
    keys = order_by(order)
    source = query.get("filter") or ""
    organization = query.get("organizationId") or ""
    cel = compile_filter(source, CEL_FIELDS) if source.strip() else None
    where = every(
        *([Compare(ORGANIZATION, Operator.EQ, Value(organization))] if organization else []),
        *([cel.condition] if cel else []),
    )
    parameters = {"filter": source, "orderBy": order, "organizationId": organization}
    token = query.get("pageToken") or None
    after = TOKENS.read(token, parameters, len(keys)) if token else None
    keep = (lambda stored: cel.matches(stored.job)) if cel and not cel.exact else None
    page, next_after = scan(context.store, context.where, JobQuery(where, keys, after), page_size, keep)
    body: dict[str, Any] = {"jobs": [stored.job for stored in page]}
    if next_after is not None:
        body["nextPageToken"] = TOKENS.issue(next_after, parameters)
    return StateResponse(200, body)


def sift_rules(spec: SpecData) -> ApiRules:
    """Sift's rules, with the seed jobs read from the first example of listJobs in its spec."""
    return ApiRules(
        name="sift",
        lifecycle=LIFECYCLE,
        seeds=tuple(spec.example("listJobs")["jobs"]),
        reads={"listJobs": list_jobs},
        indexes=INDEXES,
        operations={
            "cancelJob": act("cancelJob", lambda job: {}),
            "retryJob": act("retryJob", lambda job: {"job": job}),
        },
        auto_advance=AUTO_ADVANCE,
        not_found="job {id} not found",
        not_found_field=None,
    )
