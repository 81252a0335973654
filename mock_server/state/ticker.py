"""Auto-advance: a daemon thread that lets the engine's time pass every `interval` seconds until stopped.

Every process of a shared store runs one, but only the holder of the store's ticker lease ticks: time moves
once for the whole store. The others ask for the lease at each interval and take it over when its holder is
gone; the new holder counts time from then, so no tick is applied twice.
"""

from __future__ import annotations

import logging
import threading
import time

from .engine import StateEngine
from .errors import StateError

log = logging.getLogger(__name__)


class AutoAdvancer:
    def __init__(self, engine: StateEngine, interval: float) -> None:
        if interval <= 0:
            raise ValueError("the auto-advance interval must be a positive number of seconds")
        self.engine = engine
        self.interval = interval
        self._lease = engine.store.ticker_lease()
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
        self._lease.release()

    def _run(self) -> None:
        # When this process last ticked; None while another process holds the lease.
        last = time.monotonic() if self._lease.held() else None
        while not self._stopped.wait(self.interval):
            now = time.monotonic()
            if not self._lease.held():
                last = None
                continue
            if last is not None:
                self._tick(now - last)
            last = now

    def _tick(self, seconds: float) -> None:
        try:
            self.engine.advance(seconds)
        except StateError as error:  # the store is unavailable for now: the next tick tries again
            log.warning("auto-advance tick failed: %s", error.message)
        except Exception:  # a failed tick must not end auto-advance for the server's lifetime
            log.exception("auto-advance tick failed")
