"""Figures from the raw runs: medians per (scenario, server, connections, jobs), the targets, the Markdown report
and chart."""

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.model import (
    CEILING,
    DIRECT,
    MOCK,
    MOCK_PROXY,
    MOCK_QUIET,
    MOCKOON,
    PRISM,
    PRISM_PROXY,
    PROXY_SERVERS,
    SCALING_CONNECTIONS,
    Measurement,
    RunResult,
)
from bench.proxied import PROXY_SCENARIO
from bench.scenarios import STATE_CREATE, STATE_GET, STATE_LIST, Scenario

if TYPE_CHECKING:
    from matplotlib.axes import Axes

TARGET_CONNECTIONS = 32
STATIC_SERVERS = (MOCK, MOCK_QUIET, PRISM, MOCKOON, CEILING)
TARGET_STORE = "sqlite"  # the stateful targets are set on the SQLite file, one worker
TARGET_STORE_SIZES = (1_000, 10_000)
PAGE_TARGET_SIZES = (100, 10_000)  # a page of 20 at the second within 2× of the same page at the first
MOCKOON_CAVEAT = (
    "Mockoon validates nothing (no auth, no parameters, no body) and answers bodies generated from the schema: "
    "its figures are those of a server doing less work per request (the gate notes list how its bodies differ)."
)


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
    jobs: int = 0


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    passed: bool | None  # None: this run could not check it (``measured`` says why)


def summarize(measurements: list[Measurement]) -> list[Summary]:
    """Medians over the repeats (RSS: the largest; unexpected answers: the total)."""
    groups: dict[tuple[str, str, int, int], list[Measurement]] = defaultdict(list)
    for measurement in measurements:
        groups[measurement.scenario, measurement.server, measurement.connections, measurement.jobs].append(measurement)
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
            jobs,
        )
        for (scenario, server, connections, jobs), runs in groups.items()
    ]


def ratio_target(name: str, ours: float | None, theirs: float | None, bound: float, at_least: bool) -> Target:
    """``ours / theirs`` against ``bound``; not checked when either figure is missing from this run."""
    relation = "≥" if at_least else "≤"
    goal = f"goal {relation} {bound:g}×"
    if ours is None or theirs is None:
        return Target(name, f"not measured in this run ({goal})", None)
    ratio = ours / theirs
    return Target(name, f"{ratio:.2f}× ({goal})", ratio >= bound if at_least else ratio <= bound)


class _Figures:
    """Summaries looked up by what the targets name; None for what the run did not measure."""

    def __init__(self, summaries: list[Summary]) -> None:
        self._by_key = {(s.scenario, s.server, s.connections, s.jobs): s for s in summaries}

    def get(self, scenario: str, server: str, jobs: int = 0) -> Summary | None:
        return self._by_key.get((scenario, server, TARGET_CONNECTIONS, jobs))

    def rps(self, scenario: str, server: str, jobs: int = 0) -> float | None:
        found = self.get(scenario, server, jobs)
        return found.requests_per_second if found else None

    def p99(self, scenario: str, server: str, jobs: int = 0) -> float | None:
        found = self.get(scenario, server, jobs)
        return found.p99_ms if found else None


def _versus_prism(figures: _Figures, scenario: str, ours: str, prism: str) -> list[Target]:
    at = f"at {TARGET_CONNECTIONS} connections"
    return [
        ratio_target(
            f"{scenario}: req/s vs {prism} {at}", figures.rps(scenario, ours), figures.rps(scenario, prism), 5, True
        ),
        ratio_target(
            f"{scenario}: p99 vs {prism} {at}", figures.p99(scenario, ours), figures.p99(scenario, prism), 0.2, False
        ),
    ]


def static_targets(result: RunResult, figures: _Figures, scenarios: list[Scenario]) -> list[Target]:
    at = f"at {TARGET_CONNECTIONS} connections"
    mockoon_serves = result.served_by.get(MOCKOON, [])
    targets = []
    for scenario in scenarios:
        name = scenario.name
        targets += _versus_prism(figures, name, MOCK_QUIET, PRISM)
        versus_mockoon = f"{name}: req/s vs Mockoon {at}"
        if name in mockoon_serves:
            targets.append(ratio_target(versus_mockoon, figures.rps(name, MOCK), figures.rps(name, MOCKOON), 10, True))
        else:
            targets.append(Target(versus_mockoon, "Mockoon does not answer it as documented (gate notes)", None))
        targets.append(
            ratio_target(
                f"{name}: default log level vs --log-level warning, req/s {at}",
                figures.rps(name, MOCK),
                figures.rps(name, MOCK_QUIET),
                0.85,
                True,
            )
        )
        if scenario.measures_ceiling:
            targets.append(
                ratio_target(
                    f"{name}: req/s vs bare Starlette {at}",
                    figures.rps(name, MOCK_QUIET),
                    figures.rps(name, CEILING),
                    0.75,
                    True,
                )
            )
    startup = {label: statistics.median(times) for label, times in result.startup_s.items() if times}
    targets.append(
        ratio_target("start-up to first response vs Prism", startup.get(MOCK), startup.get(PRISM), 0.4, False)
    )
    return targets


def stateful_targets(figures: _Figures, static_probe: str) -> list[Target]:
    """SQLite file, one worker, 32 connections: against static get-a-job, and a page at 10,000 jobs against the
    same page at 100."""
    static = figures.rps(static_probe, MOCK_QUIET)
    targets = []
    for size in TARGET_STORE_SIZES:
        for scenario, bound in ((STATE_GET, 0.5), (STATE_CREATE, 0.25)):
            targets.append(
                ratio_target(
                    f"{scenario} ({TARGET_STORE}, {size:,} jobs): req/s vs static get-job",
                    figures.rps(scenario, TARGET_STORE, size),
                    static,
                    bound,
                    True,
                )
            )
    small, large = PAGE_TARGET_SIZES
    targets.append(
        ratio_target(
            f"{STATE_LIST} ({TARGET_STORE}): req/s with {large:,} jobs vs with {small:,} (within 2×)",
            figures.rps(STATE_LIST, TARGET_STORE, large),
            figures.rps(STATE_LIST, TARGET_STORE, small),
            0.5,
            True,
        )
    )
    return targets


def proxy_targets(figures: _Figures) -> list[Target]:
    """Issue #16's: at 32 connections, p99 added over going direct at most 2 ms, req/s at least 3× `prism proxy`'s."""
    at = f"at {TARGET_CONNECTIONS} connections"
    ours, direct = figures.p99(PROXY_SCENARIO, MOCK_PROXY), figures.p99(PROXY_SCENARIO, DIRECT)
    added = f"p99 added over going direct {at}"
    if ours is None or direct is None:
        latency = Target(f"{PROXY_SCENARIO}: {added}", "not measured in this run (goal ≤ 2 ms)", None)
    else:
        latency = Target(f"{PROXY_SCENARIO}: {added}", f"{ours - direct:+.2f} ms (goal ≤ 2 ms)", ours - direct <= 2)
    throughput = ratio_target(
        f"{PROXY_SCENARIO}: req/s vs {PRISM_PROXY} {at}",
        figures.rps(PROXY_SCENARIO, MOCK_PROXY),
        figures.rps(PROXY_SCENARIO, PRISM_PROXY),
        3,
        True,
    )
    return [latency, throughput]


def evaluate_targets(
    result: RunResult,
    summaries: list[Summary],
    scenarios: list[Scenario],
    stateful: list[Summary] | None = None,
    proxy: list[Summary] | None = None,
) -> list[Target]:
    figures = _Figures([*summaries, *(stateful or []), *(proxy or [])])
    probe = next((s.name for s in scenarios if s.measures_ceiling), "get-job")
    return [
        *static_targets(result, figures, scenarios),
        *stateful_targets(figures, probe),
        *proxy_targets(figures),
    ]


def targets_text(targets: list[Target]) -> list[str]:
    verdicts = {True: "PASS", False: "FAIL", None: "NOT CHECKED"}
    return [f"{verdicts[target.passed]}  {target.name}: {target.measured}" for target in targets]


def _row(s: Summary, *first: str) -> str:
    return (
        f"| {' | '.join(first)} | {s.requests_per_second:,.0f} | {s.p50_ms:.2f} | {s.p90_ms:.2f} | {s.p99_ms:.2f} "
        f"| {s.cpu_percent:.0f} | {s.rss_mb:.0f} | {s.unexpected} | {s.other_cores:.2f} |"
    )


FIGURE_COLUMNS = "req/s | p50 ms | p90 ms | p99 ms | CPU % | RSS MiB | unexpected | others |"
FIGURE_ALIGN = "---:|---:|---:|---:|---:|---:|---:|---:|"


def results_table(summaries: list[Summary], scenarios: list[Scenario]) -> list[str]:
    order = {scenario.name: index for index, scenario in enumerate(scenarios)}
    servers = {server: index for index, server in enumerate(STATIC_SERVERS)}
    rows = sorted(summaries, key=lambda s: (order[s.scenario], s.connections, servers[s.server]))
    lines = [f"| scenario | conns | server | {FIGURE_COLUMNS}", f"|---|---:|---|{FIGURE_ALIGN}"]
    lines += [_row(s, s.scenario, str(s.connections), s.server + (" ¹" if s.server == MOCKOON else "")) for s in rows]
    return lines


def stateful_table(summaries: list[Summary]) -> list[str]:
    if not summaries:
        return ["Not measured in this run."]
    scenario_order = {STATE_GET: 0, STATE_LIST: 1, STATE_CREATE: 2}
    rows = sorted(summaries, key=lambda s: (s.server, s.jobs, scenario_order[s.scenario], s.connections))
    lines = [f"| store | jobs | scenario | conns | {FIGURE_COLUMNS}", f"|---|---:|---|---:|{FIGURE_ALIGN}"]
    lines += [_row(s, s.server, f"{s.jobs:,}", s.scenario, str(s.connections)) for s in rows]
    return lines


def growth_table(result: RunResult) -> list[str]:
    if not result.rss_growth_mb:
        return ["Not measured in this run."]
    return [
        "| store | RSS growth, MiB per 10,000 jobs |",
        "|---|---:|",
        *[f"| {store} | {mib:.1f} |" for store, mib in result.rss_growth_mb.items()],
    ]


def proxy_table(summaries: list[Summary]) -> list[str]:
    """Each proxy against going direct: p99 added and the share of the direct req/s kept."""
    direct = {s.connections: s for s in summaries if s.server == DIRECT}
    if not direct:
        return ["Not measured in this run."]
    rows = sorted(summaries, key=lambda s: (s.connections, PROXY_SERVERS.index(s.server)))
    lines = [
        f"| conns | server | p99 added ms | × direct req/s | {FIGURE_COLUMNS}",
        f"|---:|---|---:|---:|{FIGURE_ALIGN}",
    ]
    for s in rows:
        base = direct[s.connections]
        added = "—" if s.server == DIRECT else f"{s.p99_ms - base.p99_ms:+.2f}"
        kept = f"{s.requests_per_second / base.requests_per_second:.2f}"
        lines.append(_row(s, str(s.connections), s.server, added, kept))
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
    measured = [*result.measurements, *result.scaling, *result.stateful, *result.proxy]
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
        if times
    ]
    mockoon_serves = result.served_by.get(MOCKOON, [])
    lines = [
        f"# {title}",
        "",
        f"{settings.duration_s:g} s per run after a {settings.warmup_s:g} s warm-up, {settings.repeats} repeat(s) "
        f"(medians), connections {', '.join(map(str, settings.connections))}; servers on CPU {settings.server_cpus}, "
        f"wrk (1 thread) on CPU {settings.load_cpus}; one process per server, all traffic on 127.0.0.1; "
        f"the servers take turns run by run. `{MOCK}` runs at its default log level (its access log on), "
        f"`{MOCK_QUIET}` with `--log-level warning`, Prism with `-v warn`, Mockoon at its default (a line per "
        "request).",
        "",
        "## Targets",
        "",
        *[f"- {line}" for line in targets_text(targets)],
        "",
        "## Throughput and latency",
        "",
        *results_table(summaries, scenarios),
        "",
        f"¹ {MOCKOON_CAVEAT} Mockoon serves {', '.join(mockoon_serves) or 'none of the scenarios'} as documented "
        "(the expected status); the others are left out of its figures.",
        "",
        "`CPU %`: the server's CPU time over the run, in % of one core. `unexpected`: socket errors plus answers of "
        "the wrong status class, summed over the repeats. `others`: CPU the machine's other processes used during "
        "the run, in cores (median); a run where they used more than "
        f"{settings.quiet_cores:g} core was run again, {settings.attempts} times in all at most, and the quietest "
        f"attempt kept. {_disturbance(result)}",
        "",
        f"![throughput and p99]({chart_name})",
        "",
        f"## Stateful mode (`--mode stateful`, `--log-level warning`, connections "
        f"{', '.join(map(str, settings.stateful_connections))})",
        "",
        "Each store on its own server, emptied (`POST /__mock/reset`) and filled with creates to the given number "
        f"of jobs before its runs; `{STATE_CREATE}` runs last at each size, since it grows the store.",
        "",
        *stateful_table(summarize(result.stateful)),
        "",
        "Memory: a fresh server filled to the largest size; RSS after, less RSS before, per 10,000 jobs (the "
        "journal of those creates included).",
        "",
        *growth_table(result),
        "",
        "## Proxy (get-a-job through each proxy to a bare Starlette upstream)",
        "",
        "The upstream answers get-a-job with the mock's documented bytes; it shares wrk's core, in the direct "
        "runs too; the proxies run on the servers' core, both with their per-request logs off "
        "(`--log-level warning`, `-v warn`). The relay floor (`bench/relay.py`) is the proxy's own upstream client "
        "under uvicorn with nothing checked, counted or reported: what relaying alone costs with those parts.",
        "",
        *proxy_table(summarize(result.proxy)),
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
        "## Not measured in this run",
        "",
        *([f"- {line}" for line in result.skipped] or ["- nothing"]),
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
        "`{port}` is a free port picked per launch; the `run-*.tmp` folder (the peers' spec copies, the wrk Lua "
        "scripts made from the scenarios by `bench/wrk.py`, server logs) is deleted after a run that succeeds.",
        "",
        "```",
        *result.commands,
        "```",
        "",
    ]
    return "\n".join(lines)


def chart(
    summaries: list[Summary],
    scenarios: list[Scenario],
    connections: int,
    path: Path,
    stateful: list[Summary] | None = None,
    proxy: list[Summary] | None = None,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ((throughput, latency), (state_axes, proxy_axes)) = plt.subplots(2, 2, figsize=(14, 9.5))
    picked = {(s.scenario, s.server): s for s in summaries if s.connections == connections}
    names = [scenario.name for scenario in scenarios]
    _bars(
        [throughput, latency],
        names,
        [server for server in STATIC_SERVERS if any(key[1] == server for key in picked)],
        lambda name, server: picked.get((name, server)),
    )
    latency.set_yscale("log")
    throughput.set_title(f"static scenarios, {connections} connections")
    state = {(f"{s.scenario}@{s.jobs:,}", s.server): s for s in stateful or [] if s.connections == connections}
    state_groups = sorted({group for group, _ in state}, key=lambda g: (int(g.split("@")[1].replace(",", "")), g))
    _bars([state_axes], state_groups, sorted({store for _, store in state}), lambda g, store: state.get((g, store)))
    state_axes.set_title(f"stateful mode by store, {connections} connections (scenario@jobs in the store)")
    routed = {("get-job", s.server): s for s in proxy or [] if s.connections == connections}
    _bars(
        [proxy_axes],
        ["get-job"] if routed else [],
        list(PROXY_SERVERS),
        lambda name, server: routed.get((name, server)),
    )
    proxy_axes.set_title(f"proxy in front of a bare Starlette upstream, {connections} connections")
    figure.suptitle("jobs-mock vs Prism and Mockoon, one core each")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _bars(
    axes_list: "list[Axes]", groups: list[str], series: list[str], find: Callable[[str, str], Summary | None]
) -> None:
    """Grouped bars: req/s on the first axes, p99 on the second (when given)."""
    width = 0.8 / max(1, len(series))
    for index, server in enumerate(series):
        present = [(position + index * width, find(group, server)) for position, group in enumerate(groups)]
        bars = [(x, s) for x, s in present if s is not None]
        for axes, figure_of in zip(axes_list, (_rps, _p99), strict=False):
            axes.bar([x for x, _ in bars], [figure_of(s) for _, s in bars], width, label=server)
    for axes, label in zip(axes_list, ("requests/s (median)", "p99 latency, ms (median, log scale)"), strict=False):
        if not groups:
            axes.text(0.5, 0.5, "not measured in this run", ha="center", va="center", transform=axes.transAxes)
            continue
        ticks = [position + width * (len(series) - 1) / 2 for position in range(len(groups))]
        axes.set_xticks(ticks, groups, rotation=20)
        axes.set_ylabel(label)
        axes.legend()


def _rps(summary: Summary) -> float:
    return summary.requests_per_second


def _p99(summary: Summary) -> float:
    return summary.p99_ms
