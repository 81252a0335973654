"""StateEngine: the entry point the mock's pipeline calls in stateful mode."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from mock_server.wire import SESSION_HEADER

from .errors import invalid
from .flatfile import flatfile_rules
from .journal_writer import JournalWriter
from .rules import DEFAULT_SESSION, ApiRules, Context, Reader, StateRequest, StateResponse
from .sift import sift_rules
from .spec_data import SpecData
from .store import JOURNAL_SIZE, NO_DETAILS, JobStore, JournalDetails, JournalEntry, StoredJob, Transaction
from .stores import open_store

MAX_SESSION_LENGTH = 128
ADVANCE_BATCH = 500  # jobs a transaction of advance() changes: the lock is never held for all of them
Clock = Callable[[], datetime]
_T = TypeVar("_T")


def utc_now() -> datetime:
    return datetime.now(UTC)


class StateEngine:
    def __init__(self, store: JobStore, apis: Iterable[ApiRules], clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock
        self._apis = {rules.name: rules for rules in apis}
        for rules in self._apis.values():
            store.prepare(rules.name, rules.indexes)
        self._journal = JournalWriter(store)
        self._threads = ThreadPoolExecutor(store.threads, thread_name_prefix="jobs-mock state")

    @classmethod
    def open(
        cls,
        state_file: str | Path | None = None,
        *,
        documents: Mapping[str, Mapping[str, Any]] | None = None,
        state_url: str | None = None,
        clock: Clock = utc_now,
        journal_size: int = JOURNAL_SIZE,
    ) -> StateEngine:
        """State in memory, in `state_file` or in the PostgreSQL database of `state_url`, for the APIs of
        `documents` (name -> spec) that have rules.

        Without `documents`, the bundled Flatfile and Sift specs are read.
        """
        rules = bundled_rules() if documents is None else rules_for(documents)
        return cls(open_store(state_file, state_url, journal_size), rules, clock)

    @property
    def apis(self) -> tuple[str, ...]:
        return tuple(self._apis)

    async def run(self, work: Callable[..., _T], *arguments: Any) -> _T:
        """`work(*arguments)` on one of the engine's threads: the store's work (a commit, a query to a database
        on another host) stays off the event loop, on as many threads as the store can use."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, work, *arguments)

    def handles(self, api: str, operation_id: str) -> bool:
        rules = self._apis.get(api)
        return rules is not None and (operation_id in rules.operations or operation_id in rules.reads)

    def handle(self, api: str, operation_id: str, request: StateRequest) -> StateResponse:
        """Run one operation against the request's session; raises StateError for a 4xx answer."""
        rules = self._apis[api]
        session = session_name(request.session)
        read = rules.reads.get(operation_id)
        with self.store.transaction() as tx:
            self._seed(tx, rules, session)
            if read is None:
                return rules.operations[operation_id](Context(rules, tx, session, request, self.clock))
        return read(Reader(rules, self.store, session, request))

    def advance(self, seconds: float) -> int:
        """Let `seconds` pass for every session's jobs; the number of jobs that changed."""
        if seconds < 0:
            raise ValueError("time only moves forward: seconds must be at least 0")
        changed = 0
        for rules in self._apis.values():
            plan = rules.auto_advance
            if seconds > 0:
                changed += self._each_job(rules, plan.running, partial(_run, seconds=seconds))
            for status in plan.steps:
                changed += self._each_job(rules, status, _step)
        return changed

    def reset(self, session: str | None = None) -> None:
        """Forget every session (None) or one: it starts again from the seed jobs at its next request."""
        self._journal.flush()
        with self.store.transaction() as tx:
            tx.reset(None if session is None else session_name(session))

    def sessions(self) -> list[str]:
        self._journal.flush()
        with self.store.transaction() as tx:
            return tx.sessions()

    def record(
        self, session: str | None, method: str, path: str, status: int, details: JournalDetails = NO_DETAILS
    ) -> None:
        time = self.clock().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._journal.add(session_name(session), JournalEntry(method, path, status, time, details))

    def journal(self, session: str | None = None) -> list[dict[str, Any]]:
        self._journal.flush()
        with self.store.transaction() as tx:
            return [entry.as_dict() for entry in tx.journal(session_name(session))]

    def close(self) -> None:
        self._journal.close()
        self._threads.shutdown()
        self.store.close()

    def _each_job(self, rules: ApiRules, status: str, change: Callable[[Context, StoredJob], None]) -> int:
        """Apply `change` to every job of the API in `status`, a batch per transaction; how many there were."""
        after, changed = 0, 0
        while True:
            with self.store.transaction() as tx:
                batch = tx.jobs_in_status(rules.name, status, after, ADVANCE_BATCH)
                # The time is read once the batch is read (and held, by a store that locks), as a request's is.
                now = _constant(self.clock())
                for session, stored in batch:
                    change(Context(rules, tx, session, StateRequest(session=session), now), stored)
            changed += len(batch)
            if len(batch) < ADVANCE_BATCH:
                return changed
            after = batch[-1][1].seq

    def _seed(self, tx: Transaction, rules: ApiRules, session: str) -> None:
        if tx.is_seeded(session, rules.name):
            return
        id_field = rules.lifecycle.id_field
        for job in rules.seeds:
            if not tx.contains(session, rules.name, job[id_field]):
                stored = StoredJob(id=job[id_field], job=copy.deepcopy(dict(job)))
                tx.insert(session, rules.name, stored, rules.lifecycle.status(job))
        tx.mark_seeded(session, rules.name)


RULE_BUILDERS: Mapping[str, Callable[[SpecData], ApiRules]] = {"flatfile": flatfile_rules, "sift": sift_rules}


def bundled_rules() -> tuple[ApiRules, ...]:
    """The rules of the bundled APIs, read from their specs."""
    return tuple(build(SpecData.load(name)) for name, build in RULE_BUILDERS.items())


def rules_for(documents: Mapping[str, Mapping[str, Any]]) -> tuple[ApiRules, ...]:
    """The rules of each named spec document whose API has stateful rules (the others stay static)."""
    return tuple(
        RULE_BUILDERS[name](SpecData(document)) for name, document in documents.items() if name in RULE_BUILDERS
    )


def session_name(name: str | None) -> str:
    """The session a request belongs to: its X-Mock-Session header, or the default session."""
    if name is None or name == "":
        return DEFAULT_SESSION
    if len(name) > MAX_SESSION_LENGTH or not name.isprintable():
        raise invalid(f"{SESSION_HEADER} must be at most {MAX_SESSION_LENGTH} printable characters", SESSION_HEADER)
    return name


def _run(context: Context, stored: StoredJob, *, seconds: float) -> None:
    """A running job gains progress for `seconds`, and finishes at 100."""
    plan = context.rules.auto_advance
    progress = _whole(min(100.0, _progress(plan.progress_field, stored) + plan.percent_per_second * seconds))
    _set_progress(plan.progress_field, stored, progress)
    if progress >= 100:
        context.transition(plan.finish, stored)
    else:
        stored.job = context.lifecycle.touch(stored.job, context.now)
        context.save(stored)


def _step(context: Context, stored: StoredJob) -> None:
    """A job in a status time moves on from takes its one step."""
    plan = context.rules.auto_advance
    context.transition(plan.steps[context.lifecycle.status(stored.job) or ""], stored)
    if plan.progress_field is None:
        stored.hidden["progress"] = 0
        context.save(stored)


def _constant(moment: datetime) -> Clock:
    return lambda: moment


_EXACT_PROGRESS = "exactProgress"  # hidden: the progress of which the job shows the whole percents


def _progress(field: str | None, stored: StoredJob) -> float:
    value = stored.job.get(field) if field else stored.hidden.get("progress")
    exact = stored.hidden.get(_EXACT_PROGRESS)
    if field and isinstance(exact, int | float) and value == int(exact):  # unless a client set another since
        value = exact
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _set_progress(field: str | None, stored: StoredJob, progress: float) -> None:
    if field:
        stored.hidden[_EXACT_PROGRESS] = progress
        stored.job[field] = int(progress)  # whole percents, as the real API reports them
    else:
        stored.hidden["progress"] = progress


def _whole(value: float) -> float:
    return int(value) if value == int(value) else round(value, 2)
