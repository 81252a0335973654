"""What the stateful and proxy steps use of the run that calls them (the harness), so that they need not import it."""

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

from bench.model import Measurement, ServerCommand, Settings
from bench.scenarios import Scenario
from bench.servers import RunningServer
from bench.tools import Peers


class BenchRun(Protocol):
    settings: Settings
    peers: Peers
    work_dir: Path
    skipped: list[str]  # what the run could not measure, and why
    say: Callable[[str], None]

    def launch(
        self,
        stack: ExitStack,
        command: ServerCommand,
        name: str,
        probe: Scenario,
        cpus: str | None = None,
        any_status: bool = False,
    ) -> tuple[RunningServer, float]: ...

    def peer_spec(self, api: str) -> Path: ...

    def load_runs(
        self,
        scenario: Scenario,
        servers: dict[str, RunningServer],
        connection_counts: tuple[int, ...],
        load_cpus: str | None = None,
    ) -> list[Measurement]: ...
