"""What an API's stateful behaviour is made of, and the context its operation handlers work in.

An API is described by `ApiRules` (data: its lifecycle, seed jobs, auto-advance plan, operation handlers);
handlers receive a `Context` bound to one session inside one store transaction. A read that may take more
than one short transaction (a list whose filter is evaluated outside the store) is a `reads` handler: it gets
a `Reader` and opens its own transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from .errors import ErrorKind, StateError
from .lifecycle import Lifecycle
from .query import Index
from .store import JobStore, StoredJob, Transaction

DEFAULT_SESSION = "default"


@dataclass(frozen=True)
class StateRequest:
    session: str = DEFAULT_SESSION
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None

    @property
    def details(self) -> Mapping[str, Any]:
        """The body when it is an object (optional action details), else nothing."""
        return self.body if isinstance(self.body, Mapping) else {}


@dataclass(frozen=True)
class StateResponse:
    status: int
    body: Any


@dataclass(frozen=True)
class AutoAdvance:
    """How time moves jobs: `steps` act once per tick on jobs in a status; running jobs gain progress until done."""

    steps: Mapping[str, str]  # status -> action
    running: str
    finish: str  # the action applied when progress reaches 100
    progress_field: str | None  # the job's own progress field; None keeps progress out of the job
    percent_per_second: float = 10.0


Handler = Callable[["Context"], StateResponse]
ReadHandler = Callable[["Reader"], StateResponse]


@dataclass(frozen=True)
class ApiRules:
    name: str
    lifecycle: Lifecycle
    seeds: tuple[Mapping[str, Any], ...]
    operations: Mapping[str, Handler]
    auto_advance: AutoAdvance
    not_found: str  # format with {id}
    not_found_field: str | None
    path_parameter: str = "jobId"
    reads: Mapping[str, ReadHandler] = field(default_factory=dict)
    indexes: tuple[Index, ...] = ()  # what its lists filter and sort on, for the store to index


@dataclass(frozen=True)
class Reader:
    rules: ApiRules
    store: JobStore
    session: str
    request: StateRequest

    @property
    def where(self) -> tuple[str, str]:
        """(session, api): the jobs this read is about."""
        return self.session, self.rules.name


class Context:
    def __init__(
        self, rules: ApiRules, tx: Transaction, session: str, request: StateRequest, clock: Callable[[], datetime]
    ) -> None:
        self.rules = rules
        self.tx = tx
        self.session = session
        self.request = request
        self._clock = clock

    @cached_property
    def now(self) -> datetime:
        """The time of this request's changes, read when first needed: after the handler has read (and the store
        locked) the job it changes, so a change that waited for another one is stamped later than it."""
        return self._clock()

    @property
    def lifecycle(self) -> Lifecycle:
        return self.rules.lifecycle

    @property
    def job_id(self) -> str:
        return self.request.path[self.rules.path_parameter]

    def timestamp(self) -> str:
        return self.lifecycle.timestamp(self.now)

    def find(self, job_id: str | None = None, *, to_change: bool = True) -> StoredJob:
        """The job the request names (or `job_id`); `to_change=False` for a job only read to answer with."""
        wanted = self.job_id if job_id is None else job_id
        stored = self.tx.get(self.session, self.rules.name, wanted, lock=to_change)
        if stored is None:
            raise StateError(ErrorKind.NOT_FOUND, self.rules.not_found.format(id=wanted), self.rules.not_found_field)
        return stored

    def exists(self, job_id: str) -> bool:
        return self.tx.contains(self.session, self.rules.name, job_id)

    def add(self, job: dict[str, Any], hidden: dict[str, Any] | None = None) -> StoredJob:
        stored = StoredJob(id=job[self.lifecycle.id_field], job=job, hidden=hidden or {})
        return self.tx.insert(self.session, self.rules.name, stored, self.lifecycle.status(job))

    def save(self, stored: StoredJob) -> StoredJob:
        self.tx.update(self.session, self.rules.name, stored, self.lifecycle.status(stored.job))
        return stored

    def remove(self, job_id: str) -> None:
        self.tx.delete(self.session, self.rules.name, job_id)

    def transition(self, action: str, stored: StoredJob | None = None) -> StoredJob:
        """Apply a lifecycle action to the job of the request's path (or `stored`), with the request's details."""
        target = self.find() if stored is None else stored
        target.job = self.lifecycle.apply(target.job, action, self.request.details, self.now)
        return self.save(target)


def act(action: str, reply: Callable[[dict[str, Any]], Any]) -> Handler:
    """A handler that applies `action` to the job named in the path and answers `reply(job)`."""

    def handle(context: Context) -> StateResponse:
        return StateResponse(200, reply(context.transition(action).job))

    handle.__name__ = action
    return handle
