"""`python -m bench` (`make bench`): run the benchmark and write bench/results/<date>.md and .png."""

import argparse
import dataclasses
import io
import os
import shutil
import signal
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.commands import REPO_DIR
from bench.environment import describe
from bench.gate import GateFailed
from bench.harness import PROXY, STATEFUL, Harness
from bench.model import FULL, QUICK
from bench.report import TARGET_CONNECTIONS, chart, evaluate_targets, markdown, summarize, targets_text
from bench.scenarios import all_scenarios
from bench.tools import BENCH_DIR, ensure_peers, ensure_wrk


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="jobs-mock against Prism and Mockoon, side by side."
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 32 connections, 1 repeat, 2 s runs")
    parser.add_argument("--duration", type=int, help="whole seconds per measured run")
    parser.add_argument("--repeats", type=int, help="runs per server, scenario and connection count")
    parser.add_argument(
        "--connections",
        type=lambda text: tuple(int(n) for n in text.split(",")),
        help="comma-separated connection counts, e.g. 1,32,128",
    )
    parser.add_argument(
        "--scaling-workers",
        type=lambda text: tuple(int(n) for n in text.split(",") if n),
        help="worker counts of the --workers scaling runs, e.g. 1,2 (an empty value skips them)",
    )
    parser.add_argument("--attempts", type=int, help="runs at most per measurement when other processes disturb it")
    parser.add_argument(
        "--scenario",
        action="append",
        dest="scenarios",
        metavar="NAME",
        help=f"run only this scenario, or the {STATEFUL} or {PROXY} step (repeatable)",
    )
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    return parser


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    settings = QUICK if arguments.quick else FULL
    overrides = {
        "duration_s": arguments.duration,
        "repeats": arguments.repeats,
        "connections": arguments.connections,
        "attempts": arguments.attempts,
        "scaling_workers": arguments.scaling_workers,
    }
    settings = dataclasses.replace(settings, **{key: value for key, value in overrides.items() if value is not None})
    scenarios = [s for s in all_scenarios() if not arguments.scenarios or s.name in arguments.scenarios]
    steps = frozenset(step for step in (STATEFUL, PROXY) if not arguments.scenarios or step in arguments.scenarios)
    if not any(scenario.measures_ceiling for scenario in scenarios):
        print("the get-job scenario is needed (it times start-up and measures the ceiling)", file=sys.stderr)
        return 2
    peers = ensure_peers()
    ensure_wrk()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`cmd &`)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    arguments.results_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    work_dir = Path(tempfile.mkdtemp(prefix="run-", suffix=".tmp", dir=arguments.results_dir))
    try:
        result = Harness(settings, scenarios, peers, work_dir, steps).run()
    except (GateFailed, RuntimeError, TimeoutError) as error:
        print(f"bench stopped: {error}\nserver logs and scripts kept in {work_dir}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"bench interrupted; every server was stopped; logs in {work_dir}", file=sys.stderr)
        return 130
    shutil.rmtree(work_dir)

    stem = date.today().isoformat() + ("-quick" if arguments.quick else "")
    summaries, stateful, proxy = (summarize(m) for m in (result.measurements, result.stateful, result.proxy))
    targets = evaluate_targets(result, summaries, scenarios, stateful, proxy)
    chart_connections = TARGET_CONNECTIONS if TARGET_CONNECTIONS in settings.connections else max(settings.connections)
    chart(summaries, scenarios, chart_connections, arguments.results_dir / f"{stem}.png", stateful, proxy)
    title = f"jobs-mock vs Prism and Mockoon — {date.today().isoformat()}{' (quick run)' if arguments.quick else ''}"
    environment = describe(peers, REPO_DIR)
    environment["load average (1 min), start → end"] = f"{load_before:.2f} → {os.getloadavg()[0]:.2f}"
    report = markdown(result, summaries, targets, scenarios, environment, f"{stem}.png", title)
    (arguments.results_dir / f"{stem}.md").write_text(report, encoding="utf-8")
    print("\n".join(targets_text(targets)))
    print(f"report: {arguments.results_dir / f'{stem}.md'}")
    return 0
