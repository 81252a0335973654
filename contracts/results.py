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
    # The passes that spent their whole share of the budget: "the fuzzing pass used all of its share (13 of 45 s)".
    passes_out_of_time: list[str] = field(default_factory=list)
    log: str = ""
    coverage: CoverageReport | None = None
    # Below `--min-coverage`: the sentence that says so, naming the pairs never exercised.
    coverage_shortfall: str | None = None
    cases: int = 0  # Schemathesis' own count of the cases it ran
    passes: list[PassRecord] = field(default_factory=list)

    @property
    def not_exercised(self) -> list[OperationTally]:
        return [operation for operation in self.operations if not operation.exercised]

    def findings_of(self, operation: OperationTally) -> list[Finding]:
        return [finding for finding in self.findings if finding.operation == operation.label]
