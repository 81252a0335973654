"""The journal written behind the requests: every entry recorded before a read is in it, in order, and a store
that fails a batch loses that batch only, said in the log, never the writer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mock_server.state import StateEngine
from mock_server.state.journal_writer import JournalWriter
from mock_server.state.sqlite_store import SqliteJobStore, SqliteTransaction
from mock_server.state.store import JOURNAL_SIZE, NO_DETAILS, JournalEntry
from tests.support.state import StoreFactory


def test_entries_from_many_threads_are_all_read_back_in_each_threads_order(engine: StateEngine) -> None:
    threads, each = 5, JOURNAL_SIZE // 5

    def requests(thread: int) -> None:
        for n in range(each):
            engine.record("writers", "GET", f"/t{thread}/{n}", 200)

    started = [threading.Thread(target=requests, args=(t,)) for t in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    paths = [entry["path"] for entry in engine.journal("writers")]
    assert len(paths) == threads * each
    for t in range(threads):
        assert [path for path in paths if path.startswith(f"/t{t}/")] == [f"/t{t}/{n}" for n in range(each)]


class FailingOnce(SqliteJobStore):
    """A store whose first transaction fails, as a database that is gone for a moment."""

    failed = False

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        if not self.failed:
            self.failed = True
            raise ConnectionError("the database went away")
        with super().transaction() as tx:
            yield tx


def test_a_batch_the_store_refuses_is_logged_and_the_next_one_written(caplog: pytest.LogCaptureFixture) -> None:
    store = FailingOnce()
    writer = JournalWriter(store)
    writer.add("s", JournalEntry("GET", "/lost", 200, "2026-12-02T00:00:00.000Z", NO_DETAILS))
    writer.flush()
    writer.add("s", JournalEntry("GET", "/kept", 200, "2026-12-02T00:00:01.000Z", NO_DETAILS))
    writer.close()
    with store.transaction() as tx:
        assert [entry.path for entry in tx.journal("s")] == ["/kept"]
    assert "1 request(s) not written to the journal: the database went away" in caplog.text
    store.close()


def test_a_burst_longer_than_the_journal_keeps_each_sessions_newest_entries(store_factory: StoreFactory) -> None:
    store = store_factory()
    writer = JournalWriter(store)
    for n in range(3 * JOURNAL_SIZE):  # queued faster than written: the batches are large, two sessions mixed
        writer.add(f"s{n % 2}", JournalEntry("GET", f"/{n}", 200, "2026-12-02T00:00:00.000Z", NO_DETAILS))
    writer.close()
    with store.transaction() as tx:
        for session in (0, 1):
            newest = [f"/{n}" for n in range(3 * JOURNAL_SIZE) if n % 2 == session][-JOURNAL_SIZE:]
            assert [entry.path for entry in tx.journal(f"s{session}")] == newest
    store.close()
