"""Cases, requests and time per pass and per phase of a run, from the engine's events."""

from __future__ import annotations

from dataclasses import dataclass, field

from .schemathesis_adapter import INTERNAL_PHASES, PhaseName, events


@dataclass
class PhaseRecord:
    name: str
    cases: int = 0  # as Schemathesis counts them: every case of every test scenario
    requests: int = 0  # cases that were really sent
    seconds: float = 0.0


@dataclass
class PassRecord:
    """One engine pass (`examples+coverage`, `stateful`, `fuzzing`) with its share of the budget."""

    name: str
    budget: int
    seconds: float = 0.0
    phases: dict[str, PhaseRecord] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def cases(self) -> int:
        return sum(phase.cases for phase in self.phases.values())

    def handle_event(self, event: events.EngineEvent) -> None:
        if (
            isinstance(event, events.PhaseStarted)
            and event.phase.is_enabled
            and event.phase.name not in INTERNAL_PHASES
        ):
            self._started[self._phase(event.phase.name).name] = event.timestamp
        elif isinstance(event, events.PhaseFinished) and event.phase.name.value in self._started:
            self._phase(event.phase.name).seconds += event.timestamp - self._started.pop(event.phase.name.value)
        elif isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            phase = self._phase(event.phase)
            phase.cases += len(event.recorder.cases)
            phase.requests += len(event.recorder.interactions)

    def _phase(self, name: PhaseName) -> PhaseRecord:
        return self.phases.setdefault(name.value, PhaseRecord(name.value))
