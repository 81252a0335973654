"""One benchmark run: start-up times, the correctness gate, then alternating load runs on every server, then the
scaling, stateful and proxy steps."""

import dataclasses
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench.commands import ceiling_command, mock_command, mockoon_command, prism_command
from bench.gate import Answer, GateFailed, judge, note_unchecked
from bench.model import (
    CEILING,
    MOCK,
    MOCK_QUIET,
    MOCKOON,
    PRISM,
    SCALING_CONNECTIONS,
    Measurement,
    RunResult,
    ServerCommand,
    Settings,
    unexpected_answers,
    workers_label,
)
from bench.prism_spec import write_prism_spec
from bench.proxied import proxy_runs
from bench.scenarios import Scenario
from bench.servers import CpuSnapshot, RunningServer, request
from bench.stateful import stateful_runs
from bench.tools import Peers
from bench.wrk import lua_script, run_wrk, wrk_command

STATEFUL, PROXY = "stateful", "proxy"  # the steps `--scenario` names beside the static scenarios


def left_out(settings: Settings, steps: frozenset[str]) -> list[str]:
    """What the command line left out of this run, for the report's "Not measured" list."""
    lines = [
        f"the {step} step: not asked for (`--scenario` names it)" for step in (STATEFUL, PROXY) if step not in steps
    ]
    if not settings.scaling_workers:
        lines.append("scaling with `--workers N`: `--scaling-workers` is empty")
    return lines


class Harness:
    def __init__(
        self,
        settings: Settings,
        scenarios: list[Scenario],
        peers: Peers,
        work_dir: Path,
        steps: frozenset[str] = frozenset({STATEFUL, PROXY}),
        say: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.scenarios = scenarios
        self.peers = peers
        self.work_dir = work_dir
        self.steps = steps
        self.say = say
        self.commands_run: list[str] = []
        self.gate_notes: list[str] = []
        self.skipped: list[str] = left_out(settings, steps)

    def launch(
        self,
        stack: ExitStack,
        command: ServerCommand,
        name: str,
        probe: Scenario,
        cpus: str | None = None,
        any_status: bool = False,
    ) -> tuple[RunningServer, float]:
        cpus = cpus or self.settings.server_cpus
        server = stack.enter_context(RunningServer(command, cpus, self.work_dir / f"{name}.log"))
        seconds = server.wait_first_response(probe, any_status)
        self._record(command.display(cpus))
        return server, seconds

    def _record(self, command_line: str) -> None:
        if command_line not in self.commands_run:
            self.commands_run.append(command_line)

    def peer_spec(self, api: str) -> Path:
        """The spec copy every peer is fed (base path folded into the paths)."""
        return write_prism_spec(api, self.work_dir)

    def server_commands(self, api: str) -> dict[str, ServerCommand]:
        spec = self.peer_spec(api)
        return {
            MOCK: mock_command(api, quiet=False),
            MOCK_QUIET: mock_command(api),
            PRISM: prism_command(self.peers.prism, spec),
            MOCKOON: mockoon_command(self.peers.mockoon, spec),
        }

    def startup_times(self, probe: Scenario) -> dict[str, list[float]]:
        """Launch each server alone (jobs-mock at its default level), alternating the order, and time its first
        right answer."""
        commands = {label: command for label, command in self.server_commands(probe.api).items() if label != MOCK_QUIET}
        times: dict[str, list[float]] = {label: [] for label in commands}
        order = list(commands)
        for launch in range(self.settings.startup_launches):
            for label in order if launch % 2 == 0 else order[::-1]:
                with ExitStack() as stack:
                    _, seconds = self.launch(
                        stack, commands[label], f"startup-{label}-{launch}", probe, any_status=label == MOCKOON
                    )
                times[label].append(seconds)
                self.say(f"start-up {label}: {seconds:.3f} s")
        return times

    def check_gate(self, servers: dict[tuple[str, str], RunningServer]) -> tuple[dict[str, Answer], list[str]]:
        """Every scenario on every server: the mock's answers and the scenarios Mockoon serves; raises GateFailed
        with every reason when jobs-mock and Prism do not answer alike."""
        failures: list[str] = []
        mock_answers: dict[str, Answer] = {}
        mockoon_serves: list[str] = []
        for scenario in self.scenarios:
            prism = request(servers[PRISM, scenario.api].port, scenario)
            for label in (MOCK, MOCK_QUIET):
                verdict = judge(scenario, request(servers[label, scenario.api].port, scenario), prism)
                failures += [f"{scenario.name} ({label}): {problem}" for problem in verdict.problems]
            self.gate_notes += [f"{scenario.name}: {note}" for note in verdict.notes]
            mock_answers[scenario.name] = request(servers[MOCK_QUIET, scenario.api].port, scenario)
            mockoon = note_unchecked(scenario, "Mockoon", request(servers[MOCKOON, scenario.api].port, scenario))
            self.gate_notes += [f"{scenario.name}: {note}" for note in mockoon.notes]
            if mockoon.serves:
                mockoon_serves.append(scenario.name)
        if failures:
            raise GateFailed(
                "the servers do not answer alike, so their speeds are not comparable:\n  " + "\n  ".join(failures)
            )
        self.say(f"gate: {len(self.scenarios)} scenarios answered alike; Mockoon serves {', '.join(mockoon_serves)}")
        return mock_answers, mockoon_serves

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
        self,
        scenario: Scenario,
        servers: dict[str, RunningServer],
        connection_counts: tuple[int, ...],
        load_cpus: str | None = None,
    ) -> list[Measurement]:
        settings = self.settings
        load_cpus = load_cpus or settings.load_cpus
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
                        f"{scenario.name:>13} c={connections:<3} {label:>20}: "
                        f"{measurement.load.requests_per_second:8.0f} req/s  p99 {measurement.load.p99_us / 1000:7.2f} ms"
                        f"  (other processes: {measurement.other_cores:.2f} cores, attempt(s) {measurement.attempts})"
                    )
        return measurements

    def run(self) -> RunResult:
        probe = next(s for s in self.scenarios if s.measures_ceiling)
        startup = self.startup_times(probe)
        measurements: list[Measurement] = []
        with ExitStack() as stack:
            servers: dict[tuple[str, str], RunningServer] = {}
            for api in sorted({scenario.api for scenario in self.scenarios}):
                probe_for_api = next(s for s in self.scenarios if s.api == api)
                for label, command in self.server_commands(api).items():
                    # Mockoon may not route the probe as documented (the gate notes it): any answer means it is up.
                    launched = self.launch(stack, command, f"{label}-{api}", probe_for_api, any_status=label == MOCKOON)
                    servers[label, api] = launched[0]
            mock_answers, mockoon_serves = self.check_gate(servers)
            body_file = self.work_dir / "ceiling-body.json"
            body_file.write_bytes(mock_answers[probe.name].body)
            ceiling, _ = self.launch(stack, ceiling_command(body_file, probe.path), "ceiling", probe)
            if request(ceiling.port, probe).body != body_file.read_bytes():
                raise GateFailed("the Starlette ceiling does not return the mock's get-a-job bytes")
            for scenario in self.scenarios:
                on_load = {label: servers[label, scenario.api] for label in (MOCK, MOCK_QUIET, PRISM)}
                if scenario.name in mockoon_serves:
                    on_load[MOCKOON] = servers[MOCKOON, scenario.api]
                if scenario.measures_ceiling:
                    on_load[CEILING] = ceiling
                measurements += self.load_runs(scenario, on_load, self.settings.connections)
        scaling = self.workers_scaling(probe)
        stateful, growth = stateful_runs(self) if STATEFUL in self.steps else ([], {})
        proxy = proxy_runs(self, probe, body_file) if PROXY in self.steps else []
        return RunResult(
            self.settings,
            startup,
            measurements,
            self.gate_notes,
            self.commands_run,
            scaling,
            stateful,
            growth,
            proxy,
            self.skipped,
            {MOCKOON: mockoon_serves},
        )

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
