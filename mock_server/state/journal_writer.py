"""The journal written behind the requests it records: a request queues its entry and is done; one thread commits
what is queued, a batch per transaction, so an answered request does not wait for a second transaction of its own.
A batch writes each session's entries in one statement and trims that session's journal once; entries the
journal's size would push out at once are not written. So the writer keeps up with any rate of requests: the
more are queued, the larger (and cheaper per entry) its next batch.

Whatever reads or clears the journal through the engine first waits until every entry queued before it is written
(`flush`), so in one process the journal is exactly as if each entry had been written with its request. Another
process sharing the store sees an entry once its batch is committed, a few milliseconds after the answer.
"""

from __future__ import annotations

import logging
import queue
import threading

from .store import JobStore, JournalEntry

BATCH = 4096  # queued items a transaction takes at most
logger = logging.getLogger("mock_server.state")
# What the queue carries: an entry, a flush waiting for the entries before it, or None to stop.
_Item = tuple[str, JournalEntry] | threading.Event | None


class JournalWriter:
    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._starting = threading.Lock()
        self._thread: threading.Thread | None = None  # started by the first entry

    def add(self, session: str, entry: JournalEntry) -> None:
        if self._thread is None:
            self._start()
        self._queue.put((session, entry))

    def flush(self) -> None:
        """Wait until every entry added before this call is written (or, when the store failed, logged)."""
        if self._thread is None:
            return
        written = threading.Event()
        self._queue.put(written)
        written.wait()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._starting:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _start(self) -> None:
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jobs-mock journal", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH and isinstance(batch[-1], tuple):
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write([item for item in batch if isinstance(item, tuple)])
            last = batch[-1]
            if isinstance(last, threading.Event):
                last.set()
            elif last is None:
                return

    def _write(self, entries: list[tuple[str, JournalEntry]]) -> None:
        if not entries:
            return
        by_session: dict[str, list[JournalEntry]] = {}
        for session, entry in entries:
            by_session.setdefault(session, []).append(entry)
        try:
            with self._store.transaction() as tx:
                for session, in_order in by_session.items():
                    tx.record(session, in_order)
        except Exception as error:  # the store is gone (a database lost): the requests were answered already
            logger.warning("jobs-mock: %d request(s) not written to the journal: %s", len(entries), error)
