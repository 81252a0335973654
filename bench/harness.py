"""One benchmark run: start-up times, the correctness gate, then alternating load runs on every server."""

import dataclasses
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench.gate import Answer, judge
from bench.model import (
    CEILING,
    MOCK,
    PRISM,
    SCALING_CONNECTIONS,
    Measurement,
    RunResult,
    Settings,
    unexpected_answers,
    workers_label,
)
from bench.prism_spec import write_prism_spec
from bench.scenarios import Scenario
from bench.servers import CpuSnapshot, RunningServer, ServerCommand, request
from bench.wrk import lua_script, run_wrk, wrk_command

REPO_DIR = Path(__file__).resolve().parent.parent


class GateFailed(Exception):
    pass


def mock_command(api: str, workers: int = 1) -> ServerCommand:
    label = MOCK if workers == 1 else workers_label(workers)
    return ServerCommand(
        label,
        (
            sys.executable,
            "-m",
            "mock_server",
            "serve",
            api,
            "--port",
            "{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ),
    )


def prism_command(prism_bin: Path, spec: Path) -> ServerCommand:
    return ServerCommand(PRISM, (str(prism_bin), "mock", "-h", "127.0.0.1", "-p", "{port}", "-v", "warn", str(spec)))


def ceiling_command(body_file: Path, path: str) -> ServerCommand:
    return ServerCommand(
        CEILING,
        (
            sys.executable,
            "-m",
            "uvicorn",
            "bench.ceiling:app",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ),
        {"BENCH_CEILING_BODY": str(body_file), "BENCH_CEILING_PATH": path, "PYTHONPATH": str(REPO_DIR)},
    )


class Harness:
    def __init__(
        self,
        settings: Settings,
        scenarios: list[Scenario],
        prism_bin: Path,
        work_dir: Path,
        say: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.scenarios = scenarios
        self.prism_bin = prism_bin
        self.work_dir = work_dir
        self.say = say
        self.commands_run: list[str] = []
        self.gate_notes: list[str] = []

    def launch(
        self, stack: ExitStack, command: ServerCommand, name: str, probe: Scenario, cpus: str | None = None
    ) -> tuple[RunningServer, float]:
        cpus = cpus or self.settings.server_cpus
        server = stack.enter_context(RunningServer(command, cpus, self.work_dir / f"{name}.log"))
        seconds = server.wait_first_response(probe)
        self._record(command.display(cpus))
        return server, seconds

    def _record(self, command_line: str) -> None:
        if command_line not in self.commands_run:
            self.commands_run.append(command_line)

    def server_commands(self, api: str) -> dict[str, ServerCommand]:
        return {MOCK: mock_command(api), PRISM: prism_command(self.prism_bin, write_prism_spec(api, self.work_dir))}

    def startup_times(self, probe: Scenario) -> dict[str, list[float]]:
        """Launch each server alone, alternating which goes first, and time its first right answer."""
        commands = self.server_commands(probe.api)
        times: dict[str, list[float]] = {label: [] for label in commands}
        order = list(commands)
        for launch in range(self.settings.startup_launches):
            for label in order if launch % 2 == 0 else order[::-1]:
                with ExitStack() as stack:
                    _, seconds = self.launch(stack, commands[label], f"startup-{label}-{launch}", probe)
                times[label].append(seconds)
                self.say(f"start-up {label}: {seconds:.3f} s")
        return times

    def check_gate(self, servers: dict[tuple[str, str], RunningServer]) -> dict[str, Answer]:
        """Every scenario on both servers; returns the mock's answers, raises GateFailed with every reason."""
        failures: list[str] = []
        mock_answers: dict[str, Answer] = {}
        for scenario in self.scenarios:
            mock = request(servers[MOCK, scenario.api].port, scenario)
            prism = request(servers[PRISM, scenario.api].port, scenario)
            verdict = judge(scenario, mock, prism)
            failures += [f"{scenario.name}: {problem}" for problem in verdict.problems]
            self.gate_notes += [f"{scenario.name}: {note}" for note in verdict.notes]
            mock_answers[scenario.name] = mock
        if failures:
            raise GateFailed(
                "the servers do not answer alike, so their speeds are not comparable:\n  " + "\n  ".join(failures)
            )
        self.say(f"gate: {len(self.scenarios)} scenarios answered alike")
        return mock_answers

    def measure(
        self,
        scenario: Scenario,
        label: str,
        server: RunningServer,
        connections: int,
        repeat: int,
        duration_s: int,
        load_cpus: str,
    ) -> Measurement:
        script = self.work_dir / f"{scenario.name}.lua"
        script.write_text(lua_script(scenario), encoding="utf-8")
        argv = wrk_command(f"http://127.0.0.1:{{port}}{scenario.path}", script, connections, duration_s, load_cpus)
        self._record(" ".join(argv))
        before = CpuSnapshot.take(server)
        load = run_wrk([part.replace("{port}", str(server.port)) for part in argv])
        after = CpuSnapshot.take(server)
        elapsed = after.at_s - before.at_s
        server_cpu = after.server.cpu_s - before.server.cpu_s
        others = after.machine_s - before.machine_s - server_cpu - (after.bench_s - before.bench_s)
        return Measurement(
            scenario.name,
            label,
            connections,
            repeat,
            load,
            100 * server_cpu / elapsed,
            after.server.rss_bytes,
            unexpected_answers(scenario, load),
            max(0.0, others / elapsed),
        )

    def measure_quietly(
        self, scenario: Scenario, label: str, server: RunningServer, connections: int, repeat: int, load_cpus: str
    ) -> Measurement:
        """A run disturbed by other processes is run again (``attempts`` in all at most); the quietest is kept."""
        tries: list[Measurement] = []
        while len(tries) < self.settings.attempts:
            tries.append(
                self.measure(scenario, label, server, connections, repeat, self.settings.duration_s, load_cpus)
            )
            if tries[-1].other_cores <= self.settings.quiet_cores:
                break
        return dataclasses.replace(min(tries, key=lambda m: m.other_cores), attempts=len(tries))

    def load_runs(
        self, scenario: Scenario, servers: dict[str, RunningServer], connection_counts: tuple[int, ...], load_cpus: str
    ) -> list[Measurement]:
        settings = self.settings
        labels = list(servers)
        for label in labels:  # warm-up, not recorded: JITs, caches and connection pools settle
            self.measure(scenario, label, servers[label], max(connection_counts), -1, settings.warmup_s, load_cpus)
        measurements = []
        for connections in connection_counts:
            for repeat in range(settings.repeats):
                shift = repeat % len(labels)
                for label in labels[shift:] + labels[:shift]:
                    measurement = self.measure_quietly(scenario, label, servers[label], connections, repeat, load_cpus)
                    measurements.append(measurement)
                    self.say(
                        f"{scenario.name:>13} c={connections:<3} {label:>9}: "
                        f"{measurement.load.requests_per_second:8.0f} req/s  p99 {measurement.load.p99_us / 1000:7.2f} ms"
                        f"  (other processes: {measurement.other_cores:.2f} cores, attempt(s) {measurement.attempts})"
                    )
        return measurements

    def run(self) -> "RunResult":
        probe = next(s for s in self.scenarios if s.measures_ceiling)
        startup = self.startup_times(probe)
        measurements: list[Measurement] = []
        with ExitStack() as stack:
            servers: dict[tuple[str, str], RunningServer] = {}
            for api in sorted({scenario.api for scenario in self.scenarios}):
                probe_for_api = next(s for s in self.scenarios if s.api == api)
                for label, command in self.server_commands(api).items():
                    servers[label, api], _ = self.launch(stack, command, f"{label}-{api}", probe_for_api)
            mock_answers = self.check_gate(servers)
            body_file = self.work_dir / "ceiling-body.json"
            body_file.write_bytes(mock_answers[probe.name].body)
            ceiling, _ = self.launch(stack, ceiling_command(body_file, probe.path), "ceiling", probe)
            if request(ceiling.port, probe).body != body_file.read_bytes():
                raise GateFailed("the Starlette ceiling does not return the mock's get-a-job bytes")
            for scenario in self.scenarios:
                on_load = {MOCK: servers[MOCK, scenario.api], PRISM: servers[PRISM, scenario.api]}
                if scenario.measures_ceiling:
                    on_load[CEILING] = ceiling
                measurements += self.load_runs(scenario, on_load, self.settings.connections, self.settings.load_cpus)
        scaling = self.workers_scaling(probe)
        return RunResult(self.settings, startup, measurements, self.gate_notes, self.commands_run, scaling)

    def workers_scaling(self, probe: Scenario) -> list[Measurement]:
        """`jobs-mock serve --workers N` on get-a-job, the servers taking turns; the servers and wrk are free to use
        every CPU, as someone running more than one worker would run it."""
        if not self.settings.scaling_workers:
            return []
        every_cpu = f"0-{(os.cpu_count() or 1) - 1}"
        with ExitStack() as stack:
            servers = {
                workers_label(workers): self.launch(
                    stack, mock_command(probe.api, workers), f"workers-{workers}", probe, every_cpu
                )[0]
                for workers in self.settings.scaling_workers
            }
            return self.load_runs(probe, servers, (SCALING_CONNECTIONS,), every_cpu)
