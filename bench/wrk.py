"""Load generation with wrk: one Lua script per scenario (method, headers, body), results read as JSON."""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.scenarios import Scenario

RESULT_MARKER = "BENCH_RESULT "

# wrk calls done() once at the end; printing the figures as JSON spares parsing its human-readable report.
_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
    .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"status_errors":%d}\\n',
    "RESULT_MARKER", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status))
end
""".replace("RESULT_MARKER", RESULT_MARKER)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_us: int
    p50_us: int
    p90_us: int
    p99_us: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    status_errors: int  # responses with a status >= 400

    @property
    def requests_per_second(self) -> float:
        return self.requests / (self.duration_us / 1e6)

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts


def lua_string(text: str) -> str:
    """A Lua string literal for ``text``: printable ASCII as is, every other byte as a decimal escape."""
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\{byte:03d}" for byte in text.encode()
    )
    return f'"{escaped}"'


def lua_script(scenario: Scenario) -> str:
    lines = [f"wrk.method = {lua_string(scenario.method)}"]
    lines += [f"wrk.headers[{lua_string(name)}] = {lua_string(value)}" for name, value in scenario.headers.items()]
    if scenario.body is not None:
        lines.append(f"wrk.body = {lua_string(scenario.body.decode())}")
    return "\n".join(lines) + "\n" + _DONE


def parse_result(stdout: str) -> LoadResult:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return LoadResult(**json.loads(line[len(RESULT_MARKER) :]))
    raise ValueError(f"wrk printed no {RESULT_MARKER.strip()} line:\n{stdout}")


def wrk_command(url: str, script: Path, connections: int, duration_s: int, cpus: str) -> list[str]:
    return [
        "taskset",
        "-c",
        cpus,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]


def run_wrk(command: list[str]) -> LoadResult:
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if completed.returncode != 0:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}): {' '.join(command)}\n{completed.stdout}{completed.stderr}"
        )
    return parse_result(completed.stdout)
