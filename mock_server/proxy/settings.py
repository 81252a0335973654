"""What `jobs-mock proxy` was asked to do."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_UPSTREAM_TIMEOUT = 30.0


@dataclass(frozen=True)
class ProxySettings:
    upstreams: dict[str, str]  # API name -> upstream URL; each request's path is appended to its API's
    timeout: float = DEFAULT_UPSTREAM_TIMEOUT  # seconds for a whole exchange with the upstream
    errors: bool = False  # answer an invalid request with the API's 400 and an invalid response with a 502
    record_dir: str | None = None  # conforming answers are saved there as named examples
    report_dir: str | None = None  # junit.xml, summary.md and violations.json are written there
    redact: tuple[str, ...] = field(default=())  # JSON pointers or field names never written anywhere
