"""The stateful step: create, get and list with 100, 1,000 and 10,000 jobs in the store, in memory, in a SQLite
file and in PostgreSQL (1, 2, 4 workers) when this commit has `--state-url`; plus each store's memory growth per
10,000 jobs.

PostgreSQL is the database ``BENCH_POSTGRES_URL`` names (the run empties it), or else a throw-away cluster of
Debian's `postgresql` package started as the tests start theirs, with PostgreSQL's default durability (every
commit flushed to disk), on the same machine and not pinned."""

import http.client
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace

from bench.bench_run import BenchRun
from bench.commands import stateful_command
from bench.gate import GateFailed, conformance_problems
from bench.model import Measurement, store_label
from bench.scenarios import Scenario, create_job_scenario, list_page_scenario, stateful_scenarios
from bench.servers import RunningServer, request
from tests.support.postgres_cluster import PostgresCluster, server_binaries

POSTGRES_URL_ENV = "BENCH_POSTGRES_URL"
FILL_CONNECTIONS = 8
GROWTH_JOBS = 10_000  # RSS growth is given per this many jobs
# The throw-away cluster: enough connections for 4 workers' pools; durability left at PostgreSQL's defaults.
CLUSTER_SETTINGS = ("max_connections=200",)


@dataclass(frozen=True)
class Store:
    label: str
    options: tuple[str, ...]
    workers: int = 1
    database_pid: int | None = None


def _has_state_url() -> bool:
    usage = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--help"], capture_output=True, text=True
    ).stdout
    return "--state-url" in usage


@dataclass(frozen=True)
class Postgres:
    url: str
    pid: int | None = None  # the server's main process, when this run started it: its CPU counts as the run's


def postgres_database(stack: ExitStack, skipped: list[str]) -> Postgres | None:
    """``BENCH_POSTGRES_URL``, or a database of a cluster started for this run (stopped with ``stack``)."""
    if not _has_state_url():
        skipped.append("stateful, PostgreSQL: `jobs-mock serve` has no --state-url option on this commit")
        return None
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        return Postgres(url)
    binaries = server_binaries()
    if binaries is None:
        skipped.append(
            f"stateful, PostgreSQL: install Debian's postgresql package, or set {POSTGRES_URL_ENV}="
            "postgresql://USER@HOST:PORT/DATABASE, to measure it"
        )
        return None
    cluster = PostgresCluster(binaries, CLUSTER_SETTINGS)
    stack.callback(cluster.remove)
    cluster.start()
    return Postgres(cluster.create_database("bench"), cluster.pid)


def stores(work_dir_db: str, postgres: Postgres | None, postgres_workers: tuple[int, ...]) -> list[Store]:
    """The stores this run measures."""
    found = [Store("memory", ()), Store("sqlite", ("--state-file", work_dir_db))]
    if postgres:
        found += [
            Store(store_label("postgres", w), ("--state-url", postgres.url), w, postgres.pid) for w in postgres_workers
        ]
    return found


def job_count(port: int, probe: Scenario) -> int:
    """Jobs in the store, from the pagination of a one-job page."""
    counting = replace(probe, path=probe.path.partition("?")[0] + "?pageSize=1")
    answer = request(port, counting)
    return int(json.loads(answer.body)["pagination"]["totalCount"])


def _create(port: int, count: int, create: Scenario) -> str:
    """``count`` creates on one kept-alive connection; the id of the last job."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    job_id = ""
    try:
        for _ in range(count):
            connection.request(create.method, create.path, body=create.body, headers=create.headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != create.expected_status:
                raise RuntimeError(f"filling the store: create answered {response.status}: {body[:200]!r}")
            job_id = json.loads(body)["data"]["id"]
    finally:
        connection.close()
    return job_id


def fill(port: int, jobs: int, list_probe: Scenario) -> tuple[int, str]:
    """Create jobs until the store holds at least ``jobs``; the count reached and the id of a job created."""
    missing = max(1, jobs - job_count(port, list_probe))
    shares = [missing // FILL_CONNECTIONS + (i < missing % FILL_CONNECTIONS) for i in range(FILL_CONNECTIONS)]
    create = create_job_scenario()
    with ThreadPoolExecutor(FILL_CONNECTIONS) as pool:
        ids = [job_id for job_id in pool.map(lambda n: _create(port, n, create), [n for n in shares if n]) if job_id]
    return job_count(port, list_probe), ids[-1]


def reset(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/__mock/reset")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"POST /__mock/reset answered {response.status}")
    finally:
        connection.close()


def _measure_store(harness: BenchRun, store: Store, growth: dict[str, float]) -> list[Measurement]:
    settings = harness.settings
    list_probe = list_page_scenario()
    command = stateful_command(store.label, list_probe.api, store.options, store.workers)
    measurements: list[Measurement] = []
    with ExitStack() as stack:
        server: RunningServer = harness.launch(stack, command, f"stateful-{store.label.replace(' ', '')}", list_probe)[
            0
        ]
        if store.database_pid is not None:
            server.companions.append(store.database_pid)
        reset(server.port)
        before_jobs, before_rss = job_count(server.port, list_probe), server.usage().rss_bytes
        after_jobs, _ = fill(server.port, max(settings.store_sizes), list_probe)
        growth[store.label] = (
            (server.usage().rss_bytes - before_rss) / 2**20 * GROWTH_JOBS / max(1, after_jobs - before_jobs)
        )
        harness.say(f"stateful {store.label}: {growth[store.label]:.1f} MiB per {GROWTH_JOBS:,} jobs")
        for size in sorted(settings.store_sizes):
            reset(server.port)
            reached, job_id = fill(server.port, size, list_probe)
            scenarios = stateful_scenarios(job_id)
            for scenario in scenarios:
                problems = conformance_problems(scenario, store.label, request(server.port, scenario))
                if problems:
                    raise GateFailed(f"{scenario.name} with {reached} jobs: " + "; ".join(problems))
            for scenario in scenarios:
                runs = harness.load_runs(scenario, {store.label: server}, settings.stateful_connections)
                measurements += [replace(run, jobs=size) for run in runs]
    return measurements


def stateful_runs(harness: BenchRun) -> tuple[list[Measurement], dict[str, float]]:
    """Every store in turn, each on its own server (quiet), pinned like the static servers."""
    growth: dict[str, float] = {}
    measurements: list[Measurement] = []
    with ExitStack() as stack:
        postgres = postgres_database(stack, harness.skipped)
        for store in stores(str(harness.work_dir / "state.db"), postgres, harness.settings.postgres_workers):
            measurements += _measure_store(harness, store, growth)
    return measurements, growth
