"""Figures from the raw runs: medians per (scenario, server, connections), the targets, the Markdown report and chart."""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.model import CEILING, MOCK, PRISM, SCALING_CONNECTIONS, Measurement, RunResult
from bench.scenarios import Scenario

TARGET_CONNECTIONS = 32


@dataclass(frozen=True)
class Summary:
    scenario: str
    server: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    cpu_percent: float
    rss_mb: float
    unexpected: int
    other_cores: float


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    passed: bool


def summarize(measurements: list[Measurement]) -> list[Summary]:
    """Medians over the repeats (RSS: the largest; unexpected answers: the total)."""
    groups: dict[tuple[str, str, int], list[Measurement]] = defaultdict(list)
    for measurement in measurements:
        groups[measurement.scenario, measurement.server, measurement.connections].append(measurement)
    return [
        Summary(
            scenario,
            server,
            connections,
            statistics.median(m.load.requests_per_second for m in runs),
            statistics.median(m.load.p50_us for m in runs) / 1000,
            statistics.median(m.load.p90_us for m in runs) / 1000,
            statistics.median(m.load.p99_us for m in runs) / 1000,
            statistics.median(m.cpu_percent for m in runs),
            max(m.rss_bytes for m in runs) / 2**20,
            sum(m.unexpected for m in runs),
            statistics.median(m.other_cores for m in runs),
        )
        for (scenario, server, connections), runs in groups.items()
    ]


def _ratio_target(name: str, ours: float, theirs: float, bound: float, at_least: bool) -> Target:
    ratio = ours / theirs
    relation = "≥" if at_least else "≤"
    return Target(name, f"{ratio:.2f}× (goal {relation} {bound:g}×)", ratio >= bound if at_least else ratio <= bound)


def evaluate_targets(result: RunResult, summaries: list[Summary], scenarios: list[Scenario]) -> list[Target]:
    at = {(s.scenario, s.server): s for s in summaries if s.connections == TARGET_CONNECTIONS}
    targets = []
    if at:
        for scenario in scenarios:
            ours, prism = at[scenario.name, MOCK], at[scenario.name, PRISM]
            targets.append(
                _ratio_target(
                    f"{scenario.name}: req/s vs Prism at {TARGET_CONNECTIONS} connections",
                    ours.requests_per_second,
                    prism.requests_per_second,
                    1.5,
                    at_least=True,
                )
            )
            targets.append(
                _ratio_target(
                    f"{scenario.name}: p99 vs Prism at {TARGET_CONNECTIONS} connections",
                    ours.p99_ms,
                    prism.p99_ms,
                    0.25,
                    at_least=False,
                )
            )
            if scenario.measures_ceiling:
                targets.append(
                    _ratio_target(
                        f"{scenario.name}: req/s vs bare Starlette at {TARGET_CONNECTIONS} connections",
                        ours.requests_per_second,
                        at[scenario.name, CEILING].requests_per_second,
                        0.25,
                        at_least=True,
                    )
                )
    targets.append(
        _ratio_target(
            "start-up to first response vs Prism",
            statistics.median(result.startup_s[MOCK]),
            statistics.median(result.startup_s[PRISM]),
            0.5,
            at_least=False,
        )
    )
    return targets


def targets_text(targets: list[Target]) -> list[str]:
    return [f"{'PASS' if target.passed else 'FAIL'}  {target.name}: {target.measured}" for target in targets]


def results_table(summaries: list[Summary], scenarios: list[Scenario]) -> list[str]:
    order = {scenario.name: index for index, scenario in enumerate(scenarios)}
    servers = {MOCK: 0, PRISM: 1, CEILING: 2}
    rows = sorted(summaries, key=lambda s: (order[s.scenario], s.connections, servers[s.server]))
    lines = [
        "| scenario | conns | server | req/s | p50 ms | p90 ms | p99 ms | CPU % | RSS MiB | unexpected | others |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.scenario} | {s.connections} | {s.server} | {s.requests_per_second:,.0f} | {s.p50_ms:.2f} | {s.p90_ms:.2f} "
        f"| {s.p99_ms:.2f} | {s.cpu_percent:.0f} | {s.rss_mb:.0f} | {s.unexpected} | {s.other_cores:.2f} |"
        for s in rows
    ]
    return lines


def scaling_table(result: RunResult) -> list[str]:
    """`--workers N` against one worker: medians at 32 connections, and the throughput relative to one worker."""
    rows = sorted(summarize(result.scaling), key=lambda s: int(s.server.rsplit(" ", 1)[1]))
    if not rows:
        return ["Not measured in this run."]
    one = rows[0].requests_per_second
    lines = [
        "| server | req/s | × first row | p50 ms | p99 ms | CPU % | RSS MiB | unexpected | others |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| `{s.server}` | {s.requests_per_second:,.0f} | {s.requests_per_second / one:.2f} | {s.p50_ms:.2f} "
        f"| {s.p99_ms:.2f} | {s.cpu_percent:.0f} | {s.rss_mb:.0f} | {s.unexpected} | {s.other_cores:.2f} |"
        for s in rows
    ]
    return lines


def _disturbance(result: RunResult) -> str:
    measured = [*result.measurements, *result.scaling]
    repeated = sum(1 for m in measured if m.attempts > 1)
    disturbed = sum(1 for m in measured if m.other_cores > result.settings.quiet_cores)
    return f"This run: {repeated} of {len(measured)} runs were repeated; {disturbed} stayed disturbed."


def _scenario_line(scenario: Scenario) -> str:
    headers = "; ".join(f"{name}: {value}" for name, value in scenario.headers.items())
    body = f", body {len(scenario.body)} bytes" if scenario.body else ""
    return f"- `{scenario.name}`: {scenario.title}: `{scenario.method} {scenario.path}` → {scenario.expected_status} (`{headers}`{body})"


def markdown(
    result: RunResult,
    summaries: list[Summary],
    targets: list[Target],
    scenarios: list[Scenario],
    environment: dict[str, str],
    chart_name: str,
    title: str,
) -> str:
    settings = result.settings
    startup = [
        f"| {label} | {statistics.median(times):.3f} | {', '.join(f'{t:.3f}' for t in times)} |"
        for label, times in result.startup_s.items()
    ]
    lines = [
        f"# {title}",
        "",
        f"{settings.duration_s:g} s per run after a {settings.warmup_s:g} s warm-up, {settings.repeats} repeat(s) "
        f"(medians), connections {', '.join(map(str, settings.connections))}; servers on CPU {settings.server_cpus}, "
        f"wrk (1 thread) on CPU {settings.load_cpus}; one process per server, all traffic on 127.0.0.1; "
        "the servers take turns run by run.",
        "",
        "## Targets",
        "",
        *[f"- {line}" for line in targets_text(targets)],
        "",
        "## Throughput and latency",
        "",
        *results_table(summaries, scenarios),
        "",
        "`CPU %`: the server's CPU time over the run, in % of one core. `unexpected`: socket errors plus answers of "
        "the wrong status class, summed over the repeats. `others`: CPU the machine's other processes used during "
        "the run, in cores (median); a run where they used more than "
        f"{settings.quiet_cores:g} core was run again, {settings.attempts} times in all at most, and the quietest "
        f"attempt kept. {_disturbance(result)}",
        "",
        f"![throughput and p99]({chart_name})",
        "",
        f"## Scaling with `jobs-mock serve --workers N` (get-a-job, {SCALING_CONNECTIONS} connections)",
        "",
        "The same load, but the servers and wrk (1 thread) may use every CPU of the machine, so extra workers share "
        "them with wrk; `CPU %` is summed over the workers, in % of one core.",
        "",
        *scaling_table(result),
        "",
        "## Start-up to first response (flatfile spec, get-a-job)",
        "",
        "| server | median s | launches s |",
        "|---|---:|---|",
        *startup,
        "",
        "## Scenarios",
        "",
        *[_scenario_line(scenario) for scenario in scenarios],
        "",
        "## Correctness gate notes",
        "",
        *([f"- {note}" for note in result.gate_notes] or ["- none"]),
        "",
        "## Versions",
        "",
        *[f"- {name}: {value}" for name, value in environment.items()],
        "",
        "## Commands",
        "",
        "`{port}` is a free port picked per launch; the `run-*.tmp` folder (Prism's spec copy, the wrk Lua scripts "
        "made from the scenarios by `bench/wrk.py`, server logs) is deleted after a run that succeeds.",
        "",
        "```",
        *result.commands,
        "```",
        "",
    ]
    return "\n".join(lines)


def chart(summaries: list[Summary], scenarios: list[Scenario], connections: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picked = {(s.scenario, s.server): s for s in summaries if s.connections == connections}
    names = [scenario.name for scenario in scenarios]
    servers = [server for server in (MOCK, PRISM, CEILING) if any(key[1] == server for key in picked)]
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(13, 4.8))
    width = 0.8 / len(servers)
    for index, server in enumerate(servers):
        xs = [position + index * width for position, name in enumerate(names) if (name, server) in picked]
        found = [picked[name, server] for name in names if (name, server) in picked]
        throughput.bar(xs, [s.requests_per_second for s in found], width, label=server)
        latency.bar(xs, [s.p99_ms for s in found], width, label=server)
    for axes, label in ((throughput, "requests/s (median)"), (latency, "p99 latency, ms (median, log scale)")):
        axes.set_xticks(
            [position + width * (len(servers) - 1) / 2 for position in range(len(names))], names, rotation=20
        )
        axes.set_ylabel(label)
        axes.legend()
    latency.set_yscale("log")
    figure.suptitle(f"jobs-mock vs Prism, {connections} connections, one core each")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
