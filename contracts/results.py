"""What a contract run ends with: its exit code, its findings, what it really tested, and what stopped it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from mock_server.coverage import CoverageReport

from .findings import Finding
from .phases import PassRecord
from .tally import OperationTally, Unanswered


class ExitCode(IntEnum):
    CONFORMS = 0
    VIOLATIONS = 1
    PROBLEM = 2


class RunProblem(Exception):
    """The run could not do its job: told in one sentence, exit code 2."""


@dataclass
class RunResult:
    exit_code: ExitCode
    api: str = ""
    findings: list[Finding] = field(default_factory=list)
    problem: str | None = None
    errors: list[str] = field(default_factory=list)
    # Every operation the run selected, with what it got back.
    operations: list[OperationTally] = field(default_factory=list)
    unanswered: Unanswered = field(default_factory=Unanswered)
    seconds: float = 0.0
    budget: int = 0
    # How the budget went, when not as planned: "the fuzzing pass used all of its share (13 of 45 s)", a pass
    # that never started, a stop at `--max-failures`.
    budget_notes: list[str] = field(default_factory=list)
    # The `--max-failures` the run stopped at, or `None` when it did not stop early.
    failure_limit: int | None = None
    log: str = ""
    coverage: CoverageReport | None = None
    # Below `--min-coverage`: the sentence that says so, naming the pairs never exercised.
    coverage_shortfall: str | None = None
    cases: int = 0  # Schemathesis' own count of the cases it ran
    passes: list[PassRecord] = field(default_factory=list)

    @property
    def not_reached(self) -> list[OperationTally]:
        """Operations the run sent nothing to, because it stopped at `--max-failures` before their turn."""
        if self.failure_limit is None:
            return []
        return [operation for operation in self.operations if not operation.requests]

    @property
    def not_exercised(self) -> list[OperationTally]:
        """Operations without an answer from the API itself, but for those a stopped run never got to."""
        not_reached = self.not_reached
        return [operation for operation in self.operations if not operation.exercised and operation not in not_reached]

    def findings_of(self, operation: OperationTally) -> list[Finding]:
        return [finding for finding in self.findings if finding.operation == operation.label]
