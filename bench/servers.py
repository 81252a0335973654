"""Servers under test: launched pinned to CPUs, timed to their first response, measured, always stopped."""

import contextlib
import http.client
import os
import resource
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.gate import Answer
from bench.model import ServerCommand
from bench.scenarios import Scenario

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def request(port: int, scenario: Scenario, timeout_s: float = 10.0) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(scenario.method, scenario.path, body=scenario.body, headers=scenario.headers)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    finally:
        connection.close()


@dataclass(frozen=True)
class Usage:
    cpu_s: float
    rss_bytes: int


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far: by the server, by this process with its finished children (wrk), by the machine."""

    server: Usage
    bench_s: float
    machine_s: float
    at_s: float

    @classmethod
    def take(cls, server: "RunningServer") -> "CpuSnapshot":
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        times = psutil.cpu_times()
        # Interrupt time is left out: loopback traffic's softirq work belongs to the run, not to other processes.
        machine = times.user + times.nice + times.system + times.steal
        bench = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        return cls(server.usage(), bench, machine, time.perf_counter())


def _tree_usage(pid: int) -> tuple[float, float]:
    """CPU seconds and resident bytes of a process and its children."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    cpu = rss = 0.0
    for process in tree:
        try:
            times = process.cpu_times()
            cpu += times.user + times.system
            rss += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return cpu, rss


class RunningServer:
    """One server process (and its children), pinned to the CPU list ``cpus``, logging to ``log_path``."""

    def __init__(self, command: ServerCommand, cpus: str, log_path: Path) -> None:
        self.command = command
        self.port = free_port()
        self.argv = ["taskset", "-c", cpus, *command.argv_for(self.port)]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **command.env},
            start_new_session=True,
        )
        self.log_path = log_path
        # Processes the server works through (a database it uses): their CPU is the run's, not a disturbance.
        self.companions: list[int] = []

    def wait_first_response(self, probe: Scenario, any_status: bool = False) -> float:
        """Seconds from launch to the first answer with the probe's expected status (any status)."""
        deadline = self.started_at + START_TIMEOUT_S
        last = "no answer"
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command.label} exited with {self.process.returncode}; see {self.log_path}")
            try:
                answer = request(self.port, probe, timeout_s=1.0)
            except OSError:
                answer = None
            if answer is not None and (any_status or answer.status == probe.expected_status):
                return time.perf_counter() - self.started_at
            if answer is not None:
                last = f"last answer {answer.status}: {answer.body[:200]!r}"
            time.sleep(0.005)
        raise TimeoutError(
            f"{self.command.label} did not answer {probe.method} {probe.path} with {probe.expected_status} "
            f"within {START_TIMEOUT_S:g} s ({last}); see {self.log_path}"
        )

    def usage(self) -> Usage:
        """CPU seconds used so far, summed over the process, its children and its companions' process trees, and
        the resident memory of the server's own processes."""
        cpu, rss = _tree_usage(self.process.pid)
        for pid in self.companions:
            cpu += _tree_usage(pid)[0]
        return Usage(cpu, int(rss))

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self) -> None:
        """SIGTERM to the server's whole process group, SIGKILL to whatever is left after 10 s."""
        self._signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._signal_group(signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
