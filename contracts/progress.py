"""Live progress of a run: one line per operation tested in each phase, with the failures found so far."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

from .schemathesis_adapter import INTERNAL_PHASES, PhaseName, Statistic, Status, events

MARKS = {
    Status.SUCCESS: "ok",
    Status.FAILURE: "FAIL",
    Status.ERROR: "error",
    Status.SKIP: "skip",
    Status.INTERRUPTED: "stopped",
}


@dataclass
class Progress:
    stream: TextIO
    operations_total: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)

    def handle_event(self, event: events.EngineEvent, statistic: Statistic) -> None:
        if isinstance(event, events.PhaseEvent) and (event.phase.name in INTERNAL_PHASES or not event.phase.is_enabled):
            return
        if isinstance(event, events.PhaseStarted):
            self.done = 0
            self._print(f"{event.phase.name.display}: started")
        elif isinstance(event, events.PhaseFinished):
            reason = f" ({event.phase.skip_reason.display})" if event.phase.skip_reason else ""
            self._print(
                f"{event.phase.name.display}: {event.status.value}{reason}, failures so far: {statistic.total_failures}"
            )
        elif isinstance(event, events.ScenarioFinished) and event.is_test_scenario and event.phase in PhaseName:
            self.done += 1
            where = (
                f"{self.done}/{self.operations_total}"
                if event.phase != PhaseName.STATEFUL_TESTING
                else f"scenario {self.done}"
            )
            self._print(
                f"  [{event.phase.value}] {where} {event.recorder.label} {MARKS[event.status]}"
                f" · failures so far: {statistic.total_failures}"
            )

    def _print(self, line: str) -> None:
        print(f"{time.monotonic() - self.started:6.1f}s {line}", file=self.stream, flush=True)
