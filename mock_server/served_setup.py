"""How a running mock is set up, as its users need to know it: what the start-up banner prints and `GET /`
returns under `setup`, from one place so that the two never disagree. The token itself is never shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from mock_server.settings import Settings

IN_MEMORY = "memory"


def setup_facts(settings: Settings) -> dict[str, Any]:
    """`mode`, `tokens` (`any` non-empty bearer token, or exactly `one`), `corsOrigins`, `maxBodyBytes`; then
    what the mode adds: the `state` (`memory` or the state file) and `autoAdvanceSeconds` (null: off) of
    stateful mode, the `seed` and recorded `examples` of both mock modes, or the proxy's `upstreams`."""
    facts: dict[str, Any] = {
        "mode": "proxy" if settings.proxy is not None else settings.mode,
        "tokens": "any" if settings.token is None else "one",
        "corsOrigins": list(settings.cors_origins),
        "maxBodyBytes": settings.limits.max_body_bytes,
    }
    if settings.proxy is not None:
        facts["upstreams"] = dict(settings.proxy.upstreams)
        facts["upstreamTimeoutSeconds"] = settings.proxy.timeout
        return facts
    if settings.mode == "stateful":
        facts["state"] = (
            _without_password(settings.state_url) if settings.state_url else settings.state_file or IN_MEMORY
        )
        facts["autoAdvanceSeconds"] = settings.auto_advance
    facts["seed"] = settings.seed
    facts["examples"] = settings.examples_dir
    return facts


def setup_lines(facts: dict[str, Any]) -> list[str]:
    """The banner's lines for `facts`, one setting a line."""
    lines = [f"mode          {facts['mode']}"]
    if "state" in facts:
        state = facts["state"]
        lines.append(f"state         {'in memory (gone when the mock stops)' if state == IN_MEMORY else state}")
        advance = facts["autoAdvanceSeconds"]
        lines.append(f"auto-advance  {f'every {advance:g} s' if advance else 'off'}")
    if facts.get("examples"):
        lines.append(f"examples      {facts['examples']} (recorded, over the spec's)")
    tokens = "any non-empty bearer token" if facts["tokens"] == "any" else "only the bearer token given with --token"
    lines.append(f"tokens        {tokens}")
    lines.append(f"CORS origins  {', '.join(facts['corsOrigins'])}")
    return lines


def _without_password(url: str) -> str:
    """A PostgreSQL URL as the banner and `GET /` show it: the password, if any, replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
