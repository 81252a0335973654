"""What a contract run is asked to do, with the defaults `jobs-contract run` uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
# Methods that change nothing on the server: all `--read-only` ever sends.
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
# Enough generated cases per operation to find every fault of the reference catalogue, small enough
# for a run of both APIs in well under a minute on two cores (README, "Contract testing").
DEFAULT_MAX_EXAMPLES = 10
DEFAULT_WORKERS = 2
# A ceiling, not a duration: one pass of every phase, each operation getting a fair share of it.
DEFAULT_MAX_TIME = 45
DEFAULT_REQUEST_TIMEOUT = 10.0
TOKEN_ENV = "JOBS_CONTRACT_TOKEN"
RATE_LIMIT = re.compile(r"^(?P<count>[1-9]\d*)/(?P<multiple>\d*)(?P<unit>[smhd])$")


class OptionsError(ValueError):
    """A usage or configuration problem, told in one sentence."""


@dataclass(frozen=True)
class RunOptions:
    api: str
    url: str
    token: str | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int | None = None
    phases: tuple[str, ...] = ALL_PHASES
    checks: tuple[str, ...] | None = None
    exclude_checks: tuple[str, ...] = ()
    workers: int = DEFAULT_WORKERS
    max_time: int = DEFAULT_MAX_TIME
    rate_limit: str | None = None
    read_only: bool = False
    report_dir: Path | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    # Exit 1 when fewer than this share (%) of the documented operation × status pairs were exercised.
    min_coverage: float | None = None
    # End the run once this many failures are found (Schemathesis' `max-failures`, across every pass).
    max_failures: int | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise OptionsError(f"--url must be an http:// or https:// base URL, not {self.url!r}")
        unknown = sorted(set(self.phases) - set(ALL_PHASES))
        if unknown or not self.phases:
            raise OptionsError(
                f"--phases takes a comma-separated list of {', '.join(ALL_PHASES)}; got {','.join(self.phases) or 'nothing'}"
            )
        if self.max_examples < 1:
            raise OptionsError("--max-examples must be at least 1")
        if self.workers < 1:
            raise OptionsError("--workers must be at least 1")
        if self.max_time < 1:
            raise OptionsError("--max-time must be at least 1 second")
        if self.max_failures is not None and self.max_failures < 1:
            raise OptionsError("--max-failures must be at least 1")
        if self.rate_limit is not None and not RATE_LIMIT.match(self.rate_limit):
            raise OptionsError(f"--rate-limit takes REQUESTS/UNIT such as 10/s or 100/m, not {self.rate_limit!r}")
        if self.min_coverage is not None and not 0 <= self.min_coverage <= 100:
            raise OptionsError(f"--min-coverage takes a percentage from 0 to 100, not {self.min_coverage:g}")
        if self.checks is not None and not self.checks:
            raise OptionsError("--checks needs at least one check name")


def split_csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())
