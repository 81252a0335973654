"""What a run is made of: its settings, the servers' labels and the raw measurements."""

from dataclasses import dataclass, field

from bench.scenarios import Scenario
from bench.wrk import LoadResult

MOCK, PRISM, CEILING = "jobs-mock", "prism", "starlette"
SCALING_CONNECTIONS = 32


def workers_label(workers: int) -> str:
    return f"{MOCK} --workers {workers}"


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


FULL = Settings(duration_s=5, warmup_s=1, connections=(1, 32, 128), repeats=3, startup_launches=3, attempts=2)
QUICK = Settings(duration_s=2, warmup_s=1, connections=(32,), repeats=1, startup_launches=1, attempts=2)


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


@dataclass(frozen=True)
class RunResult:
    settings: Settings
    startup_s: dict[str, list[float]]
    measurements: list[Measurement]
    gate_notes: list[str]
    commands: list[str]
    scaling: list[Measurement] = field(default_factory=list)  # server label `jobs-mock --workers N`


def unexpected_answers(scenario: Scenario, load: LoadResult) -> int:
    wrong_class = load.requests - load.status_errors if scenario.expected_status >= 400 else load.status_errors
    return load.socket_errors + wrong_class
