"""The journal written behind the requests it records: a request queues its entry and is done; one thread commits
what is queued, a batch per transaction, so an answered request does not wait for a second transaction of its own.

Whatever reads or clears the journal through the engine first waits until every entry queued before it is written
(`flush`), so in one process the journal is exactly as if each entry had been written with its request. Another
process sharing the store sees an entry once its batch is committed, a few milliseconds after the answer.
"""

from __future__ import annotations

import logging
import queue
import threading

from .store import JobStore, JournalEntry

BATCH = 256  # entries a transaction writes at most
logger = logging.getLogger("mock_server.state")


class JournalWriter:
    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._queue: queue.SimpleQueue[tuple[str, JournalEntry] | None] = queue.SimpleQueue()
        self._done = threading.Condition()
        self._queued = 0  # entries added, and entries written (or dropped): a flush waits for the second
        self._handled = 0
        self._thread: threading.Thread | None = None  # started by the first entry

    def add(self, session: str, entry: JournalEntry) -> None:
        with self._done:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jobs-mock journal", daemon=True)
                self._thread.start()
            self._queued += 1
            self._queue.put((session, entry))

    def flush(self) -> None:
        """Wait until every entry added before this call is written (or, when the store failed, logged)."""
        with self._done:
            target = self._queued
            self._done.wait_for(lambda: self._handled >= target)

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._done:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH and batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            entries = [item for item in batch if item is not None]
            self._write(entries)
            with self._done:
                self._handled += len(entries)
                self._done.notify_all()
            if batch[-1] is None:
                return

    def _write(self, entries: list[tuple[str, JournalEntry]]) -> None:
        if not entries:
            return
        try:
            with self._store.transaction() as tx:
                for session, entry in entries:
                    tx.record(session, entry)
        except Exception as error:  # the store is gone (a database lost): the requests were answered already
            logger.warning("jobs-mock: %d request(s) not written to the journal: %s", len(entries), error)
