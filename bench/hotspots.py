"""`python -m bench.hotspots`: where the mock spends its time under load (py-spy samples while wrk runs).

The mock runs alone on one core, wrk on the other; py-spy samples the mock for the whole run and the
collapsed stacks are summed per function: "self" (the function was on top) and "inclusive" (anywhere).
"""

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from bench.commands import mock_command, stateful_command
from bench.model import FULL, ServerCommand
from bench.scenarios import all_scenarios, list_page_scenario, stateful_scenarios
from bench.servers import RunningServer
from bench.stateful import fill
from bench.tools import ensure_wrk
from bench.wrk import lua_script, wrk_command

FRAME = re.compile(r"(?P<function>.*) \((?P<file>.*?)(:\d+)?\)$")
PREFIXES = (re.compile(r".*/site-packages/"), re.compile(r".*/lib/python3\.\d+/"), re.compile(r".*/(?=mock_server/)"))


def function_of(frame: str) -> str:
    """``name (path:line)`` as ``name (short path)``: lines merged, site-packages and stdlib prefixes cut."""
    match = FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"]
    for prefix in PREFIXES:
        path = prefix.sub("", path)
    return f"{match['function']} ({path})"


def tally(collapsed: str) -> tuple[Counter[str], Counter[str], int]:
    """Self and inclusive sample counts per function from py-spy's raw (collapsed stack) output."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        functions = [function_of(frame) for frame in stack.split(";")]
        own[functions[-1]] += int(count)
        anywhere.update(dict.fromkeys(functions, int(count)))
        total += int(count)
    return own, anywhere, total


def table(title: str, counts: Counter[str], total: int, top: int) -> list[str]:
    return [f"{title}:", *[f"  {100 * n / total:5.1f}%  {name}" for name, n in counts.most_common(top)]]


def ours(counts: Counter[str]) -> Counter[str]:
    """Only the mock's own functions (the framework's frames are on every stack and say little inclusively)."""
    return Counter({name: n for name, n in counts.items() if "(mock_server/" in name})


STATEFUL_NAMES = [scenario.name for scenario in stateful_scenarios("")]
STORES = ("memory", "sqlite")


def _command(arguments: argparse.Namespace, api: str, work_dir: Path) -> ServerCommand:
    if arguments.scenario not in STATEFUL_NAMES:
        return mock_command(api, quiet=not arguments.default_log)
    store = ("--state-file", str(work_dir / "state.db")) if arguments.store == "sqlite" else ()
    return stateful_command(arguments.store, api, store)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotspots", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="get-job", choices=[s.name for s in all_scenarios()] + STATEFUL_NAMES)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load and sampling")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--default-log", action="store_true", help="the mock at its default log level (access log)")
    parser.add_argument("--store", choices=STORES, default="sqlite", help="stateful scenarios: where jobs are kept")
    parser.add_argument("--jobs", type=int, default=1000, help="stateful scenarios: jobs in the store")
    arguments = parser.parse_args(argv)
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="hotspots-") as work, ExitStack() as stack:
        work_dir = Path(work)
        scenario = next((s for s in all_scenarios() if s.name == arguments.scenario), list_page_scenario())
        command = _command(arguments, scenario.api, work_dir)
        server = stack.enter_context(RunningServer(command, FULL.server_cpus, work_dir / "mock.log"))
        server.wait_first_response(scenario)
        if arguments.scenario in STATEFUL_NAMES:
            _, job_id = fill(server.port, arguments.jobs, list_page_scenario())
            scenario = next(s for s in stateful_scenarios(job_id) if s.name == arguments.scenario)
        script = work_dir / "load.lua"
        script.write_text(lua_script(scenario), encoding="utf-8")
        load = subprocess.Popen(
            wrk_command(
                f"http://127.0.0.1:{server.port}{scenario.path}",
                script,
                arguments.connections,
                arguments.duration + 2,
                FULL.load_cpus,
            ),
            stdout=subprocess.DEVNULL,
        )
        stack.callback(load.wait)
        samples = work_dir / "samples.txt"
        subprocess.run(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(server.process.pid),
                "--duration",
                str(arguments.duration),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "-o",
                str(samples),
            ],
            check=True,
            capture_output=True,
        )
        own, anywhere, total = tally(samples.read_text())
    print(f"{scenario.name}: {total} samples over {arguments.duration} s at {arguments.connections} connections")
    print(
        "\n".join(
            table("self", own, total, arguments.top)
            + table("inclusive, mock_server only", ours(anywhere), total, arguments.top)
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
