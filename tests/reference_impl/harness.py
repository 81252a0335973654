"""Helpers for the contract tests: run `jobs-contract` as a user would, and serve the reference in a process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .faults import Fault

ROOT = Path(__file__).resolve().parents[2]  # the repository: `tests` imports as a package from here
TOKEN = "contract-test-token-5d1e"
RUN_TIMEOUT = 180
CHECK_NAMED = re.compile(r"— check `([a-z_]+)`")


@dataclass(frozen=True)
class CompletedRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def checks(self) -> set[str]:
        """The checks that reported a violation."""
        return set(CHECK_NAMED.findall(self.stdout))

    def explain(self) -> str:
        return f"exit {self.returncode} after {self.seconds:.1f} s\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-2000:]}"


def jobs_contract(*arguments: str, env: dict[str, str] | None = None) -> CompletedRun:
    """`jobs-contract ARGUMENTS` in a process of its own, as CI would run it."""
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "contracts", *arguments],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, **(env or {})},
    )
    return CompletedRun(completed.returncode, completed.stdout, completed.stderr, time.monotonic() - started)


def run_against(api: str, url: str, *options: str) -> CompletedRun:
    return jobs_contract("run", api, "--url", url, "--token", TOKEN, *options)


@contextmanager
def reference_process(faults: Iterable[Fault] = ()) -> Iterator[str]:
    """The reference implementation in a process of its own (so parallel runs do not share a GIL); yields its origin."""
    command = [
        sys.executable,
        "-m",
        "tests.reference_impl",
        "--token",
        TOKEN,
        *(f"--fault={fault.value}" for fault in faults),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
