"""Auto-advance: a daemon thread that lets the engine's time pass every `interval` seconds until stopped."""

from __future__ import annotations

import logging
import threading
import time

from .engine import StateEngine

log = logging.getLogger(__name__)


class AutoAdvancer:
    def __init__(self, engine: StateEngine, interval: float) -> None:
        if interval <= 0:
            raise ValueError("the auto-advance interval must be a positive number of seconds")
        self.engine = engine
        self.interval = interval
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopped.clear()
            self._thread = threading.Thread(target=self._run, name="jobs-mock-auto-advance", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopped.set()
            self._thread.join(timeout=max(5.0, self.interval))
            self._thread = None

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stopped.wait(self.interval):
            now = time.monotonic()
            try:
                self.engine.advance(now - last)
            except Exception:  # a failed tick must not end auto-advance for the server's lifetime
                log.exception("auto-advance tick failed")
            last = now
