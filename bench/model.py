"""What a run is made of: its settings, the servers' labels and the raw measurements."""

from dataclasses import dataclass, field

from bench.scenarios import Scenario
from bench.wrk import LoadResult

# jobs-mock at its default log level (the access log on) and quiet (`--log-level warning`).
MOCK, MOCK_QUIET = "jobs-mock", "jobs-mock quiet"
PRISM, MOCKOON, CEILING = "prism", "mockoon", "starlette"
# The proxy scenario: the upstream alone, then each proxy in front of it, and the relay floor (bench/relay.py).
DIRECT, MOCK_PROXY, PRISM_PROXY, RELAY_FLOOR = "direct", "jobs-mock proxy", "prism proxy", "relay floor"
PROXY_SERVERS = (DIRECT, MOCK_PROXY, PRISM_PROXY, RELAY_FLOOR)  # in the order the report shows them
SCALING_CONNECTIONS = 32


def workers_label(workers: int) -> str:
    return f"{MOCK} --workers {workers}"


def store_label(store: str, workers: int = 1) -> str:
    """A stateful server: its store (memory, sqlite, postgres), and its workers when more than one."""
    return store if workers == 1 else f"{store} --workers {workers}"


@dataclass(frozen=True)
class Settings:
    duration_s: int  # wrk takes whole seconds
    warmup_s: int
    connections: tuple[int, ...]
    repeats: int
    startup_launches: int
    attempts: int  # a run disturbed by other processes is run again, this many times in all at most
    quiet_cores: float = 0.25  # CPU (in cores) other processes may use during a run without disturbing it
    server_cpus: str = "0"  # taskset CPU lists
    load_cpus: str = "1"
    scaling_workers: tuple[int, ...] = (1, 2)  # `jobs-mock serve --workers N` on get-a-job, every CPU shared
    stateful_connections: tuple[int, ...] = (1, 32)
    store_sizes: tuple[int, ...] = (100, 1_000, 10_000)  # jobs in the store while the stateful scenarios run
    postgres_workers: tuple[int, ...] = (1, 2, 4)


FULL = Settings(duration_s=5, warmup_s=1, connections=(1, 32, 128), repeats=3, startup_launches=3, attempts=2)
QUICK = Settings(
    duration_s=2,
    warmup_s=1,
    connections=(32,),
    repeats=1,
    startup_launches=1,
    attempts=2,
    stateful_connections=(32,),
    store_sizes=(100, 1_000),
    postgres_workers=(1,),
)


@dataclass(frozen=True)
class Measurement:
    scenario: str
    server: str
    connections: int
    repeat: int
    load: LoadResult
    cpu_percent: float  # of one core, over the run
    rss_bytes: int  # after the run
    unexpected: int  # socket errors plus answers of the wrong status class
    other_cores: float  # CPU other processes used during the run, in cores
    attempts: int = 1
    jobs: int = 0  # stateful scenarios: jobs in the store when the run started


@dataclass(frozen=True)
class RunResult:
    settings: Settings
    startup_s: dict[str, list[float]]
    measurements: list[Measurement]
    gate_notes: list[str]
    commands: list[str]
    scaling: list[Measurement] = field(default_factory=list)  # server label `jobs-mock --workers N`
    stateful: list[Measurement] = field(default_factory=list)  # server label: `store_label`
    rss_growth_mb: dict[str, float] = field(default_factory=dict)  # store label → MiB per 10,000 jobs
    proxy: list[Measurement] = field(default_factory=list)  # server label: one of PROXY_SERVERS
    skipped: list[str] = field(default_factory=list)  # what this run could not measure, and why
    # Scenarios each peer serves (answers with the expected status); jobs-mock serves them all.
    served_by: dict[str, list[str]] = field(default_factory=dict)


def unexpected_answers(scenario: Scenario, load: LoadResult) -> int:
    wrong_class = load.requests - load.status_errors if scenario.expected_status >= 400 else load.status_errors
    return load.socket_errors + wrong_class


@dataclass(frozen=True)
class ServerCommand:
    """How to start one server: ``argv`` is completed with the port by ``argv_for``."""

    label: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    def argv_for(self, port: int) -> list[str]:
        return [part.replace("{port}", str(port)) for part in self.argv]

    def display(self, cpus: str) -> str:
        """The command line as a shell would run it, ``{port}`` left as is."""
        settings = [f"{name}={value}" for name, value in self.env.items()]
        return " ".join([*settings, "taskset", "-c", cpus, *self.argv])
