"""What a contract run ends with: its exit code, its findings and the problem that stopped it, if any."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from .findings import Finding


class ExitCode(IntEnum):
    CONFORMS = 0
    VIOLATIONS = 1
    PROBLEM = 2


class RunProblem(Exception):
    """The run could not do its job: told in one sentence, exit code 2."""


@dataclass
class RunResult:
    exit_code: ExitCode
    findings: list[Finding] = field(default_factory=list)
    problem: str | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stop_reason: str | None = None
    log: str = ""
