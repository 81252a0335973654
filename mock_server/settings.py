"""What a command line chose for one mock: the APIs, the token, CORS, the mode and its store, the proxy, and the
limits the pipeline keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

from mock_server.proxy.settings import ProxySettings


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1_048_576
    max_header_bytes: int = 32_768  # request line and headers; kept by the server's protocol (http_protocol.py)
    body_timeout: float = 30.0  # seconds for a whole body (and, in the protocol, a header block) to arrive


DEFAULT_APIS = ("flatfile", "sift")


@dataclass(frozen=True)
class Settings:
    apis: tuple[str, ...] = DEFAULT_APIS
    token: str | None = None
    cors_origins: tuple[str, ...] = ("*",)
    seed: int = 0
    limits: Limits = field(default_factory=Limits)
    mode: str = "static"
    state_file: str | None = None  # stateful mode: the SQLite file that keeps the state (in memory without it)
    auto_advance: float | None = None  # stateful mode: seconds between ticks of time
    examples_dir: str | None = None  # recorded examples (`jobs-mock proxy --record`) merged over the spec's
    proxy: ProxySettings | None = None  # `jobs-mock proxy`: every request goes to an upstream instead
    state_url: str | None = None  # stateful mode: the PostgreSQL database many processes share (instead of a file)
    access_log: bool = False  # a line per request on stdout (`mock_server/access_log.py`)
