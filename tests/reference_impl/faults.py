"""Injectable faults: each is a switch that makes the reference implementation break the contract one way."""

from enum import StrEnum


class Fault(StrEnum):
    # Flatfile response bodies
    MISSING_REQUIRED_FIELD = "missing-required-field"  # jobs lack the required `createdAt`
    WRONG_TYPE = "wrong-type"  # a job's `progress` is a string
    ENUM_OUT_OF_SPEC = "enum-out-of-spec"  # a new job's `status` is "pending", not a JobStatus
    ERROR_SHAPE_WRONG = "error-shape-wrong"  # 404 bodies are {"error": "..."} instead of {"errors": [...]}
    WRONG_CONTENT_TYPE = "wrong-content-type"  # getJob answers with text/plain
    # Flatfile statuses and request handling
    UNDOCUMENTED_STATUS = "undocumented-status"  # createJob answers 201
    SERVER_ERROR_ON_EDGE = "server-error-on-edge"  # createJob crashes on an empty `operation`
    AUTH_IGNORED = "auth-ignored"  # any request is served, with or without a token
    INVALID_BODY_ACCEPTED = "invalid-body-accepted"  # request bodies are not validated at all
    # Flatfile state
    DELETED_STILL_READABLE = "deleted-still-readable"  # deleteJob answers success but keeps the job
    CREATED_NOT_READABLE = "created-not-readable"  # createJob answers a job it never stored
    COMPLETE_KEEPS_STATUS = "complete-keeps-status"  # completeJob leaves the status as it was
    ID_MISMATCH = "id-mismatch"  # getJob answers with another job's id
    PAGINATION_WRONG = "pagination-wrong"  # listJobs reports one page too many
    # Flatfile meaning: well-formed answers that say something untrue
    FILTER_IGNORED = "filter-ignored"  # listJobs ignores environmentId and spaceId
    PAGE_NUMBER_IGNORED = "page-number-ignored"  # listJobs always serves the first page (numbered as asked)
    UPDATE_NOT_STORED = "update-not-stored"  # updateJob answers the update and stores nothing
    ACTION_NOT_STORED = "action-not-stored"  # lifecycle actions answer the moved job and store nothing
    PLAN_NOT_STORED = "plan-not-stored"  # plan PUT/PATCH answer the new plan and store nothing
    # Sift
    SIFT_ENUM_VIOLATION = "sift-enum-violation"  # listJobs reports jobStatus "JOB_STATUS_DONE"
    SIFT_RETRY_WRONG_JOB = "sift-retry-wrong-job"  # retryJob answers with another job
    SIFT_CANCEL_NOOP = "sift-cancel-noop"  # cancelJob answers {} and changes nothing
    SIFT_FILTER_IGNORED = "sift-filter-ignored"  # listJobs checks the CEL filter, then lists every job
