"""The store's seam: what the engine and the APIs' rules need from a store of jobs, sessions and journals.

Jobs are JSON documents of one API in one session; `hidden` holds per-job data that is not part of the job
(a plan, internal progress). Every read and write happens in a `transaction()`: its reads and writes are
atomic and transactions never interleave. Transactions are short: a list asks for one page (`page`, `count`)
and never for every job, so one session's work does not hold up another's. `SqliteJobStore` implements it for one process, `PostgresJobStore` for
any number of processes on any number of hosts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .query import Condition, Index, JobQuery

JOURNAL_SIZE = 200


@dataclass
class StoredJob:
    id: str
    job: dict[str, Any]
    hidden: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True)
class Row:
    """A job of a page and its place in the page's order: a later query continues `after` this key."""

    stored: StoredJob
    key: tuple[Any, ...]


@dataclass(frozen=True)
class JournalDetails:
    """What the journal keeps of a request besides its method, path, status and time (never a credential).

    A store keeps these together as one JSON document, so that a new detail needs no new column in any store.
    """

    query: str = ""  # as sent, still percent-encoded
    prefer: str | None = None  # the Prefer header(s), as sent
    example: str | None = None  # the documented example served; None when the state engine answered
    body_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "prefer": self.prefer, "example": self.example, "bodyBytes": self.body_bytes}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> JournalDetails:
        """The details as a store kept them; an entry recorded before a detail existed reads as without it."""
        return cls(
            query=str(stored.get("query", "")),
            prefer=stored.get("prefer"),
            example=stored.get("example"),
            body_bytes=int(stored.get("bodyBytes", 0)),
        )


NO_DETAILS = JournalDetails()


@dataclass(frozen=True)
class JournalEntry:
    method: str
    path: str
    status: int
    time: str
    details: JournalDetails = NO_DETAILS

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "time": self.time,
            **self.details.as_dict(),
        }


class Transaction(Protocol):
    def get(self, session: str, api: str, job_id: str, *, lock: bool = True) -> StoredJob | None:
        """The job; with `lock`, held against other transactions until this one ends (it is read to be changed).
        A store whose transactions take turns holds every job anyway."""
        ...

    def contains(self, session: str, api: str, job_id: str) -> bool: ...

    def page(self, session: str, api: str, query: JobQuery, limit: int, offset: int = 0) -> list[Row]:
        """Up to `limit` jobs matching `query.where` in its order, skipping `offset`, after `query.after`."""
        ...

    def count(self, session: str, api: str, where: Condition) -> int: ...

    def jobs_in_status(self, api: str, status: str, after: int, limit: int) -> list[tuple[str, StoredJob]]:
        """(session, job) for up to `limit` jobs of the API, in any session, in `status`, stored after `after`
        (a job's `seq`), in the order they were stored."""
        ...

    def insert(self, session: str, api: str, stored: StoredJob, status: str | None) -> StoredJob: ...

    def update(self, session: str, api: str, stored: StoredJob, status: str | None) -> None: ...

    def delete(self, session: str, api: str, job_id: str) -> None: ...

    def is_seeded(self, session: str, api: str) -> bool: ...

    def mark_seeded(self, session: str, api: str) -> None: ...

    def sessions(self) -> list[str]: ...

    def reset(self, session: str | None) -> None:
        """Forget one session (or all): its jobs, its journal, and that it was seeded."""
        ...

    def record(self, session: str, entries: Sequence[JournalEntry]) -> None:
        """Append entries, oldest first, to the session's journal, keeping only its most recent entries (so
        entries a longer list would push out at once are not written)."""
        ...

    def journal(self, session: str) -> list[JournalEntry]:
        """The session's journal, oldest first."""
        ...


class Lease(Protocol):
    """A right that one process at a time holds among all that share the store (auto-advance's ticking)."""

    def held(self) -> bool:
        """Whether this process holds it now; takes it when it is free. Never waits for long."""
        ...

    def release(self) -> None: ...


class JobStore(Protocol):
    # How many threads can run transactions at once to any gain: the engine runs requests on that many.
    threads: int

    def transaction(self) -> AbstractContextManager[Transaction]: ...

    def ticker_lease(self) -> Lease:
        """The right to let time pass for every job of the store (one ticker moves them, however many processes)."""
        ...

    def prepare(self, api: str, indexes: Iterable[Index]) -> None:
        """Make listing the API's jobs by each index cheap (once; the store keeps what it already has)."""
        ...

    def close(self) -> None: ...
