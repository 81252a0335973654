"""`jobs-mock serve [API ...]`: serve the bundled Jobs APIs (or any OpenAPI 3.0 spec) as a mock;
`jobs-mock proxy [API ...] --upstream URL`: forward to a real deployment and check its traffic against the spec."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from jobs_openapi.versions import version_option

from mock_server import serving
from mock_server.app import BUILD_ERRORS, MODES, build_app
from mock_server.banner import banner
from mock_server.http_protocol import protocol
from mock_server.proxy.settings import DEFAULT_UPSTREAM_TIMEOUT, ProxySettings
from mock_server.settings import DEFAULT_APIS, Limits, Settings
from mock_server.state.stores import STATE_URL_ENV, URL_SCHEMES, check_store

PROBLEM = 2  # the exit code of every usage or start-up problem, told in one sentence
INTERRUPTED = 130  # Ctrl-C before the server ran, as shells report it
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
ACCESS_LOG_LEVELS = ("info", "debug", "trace")
STATEFUL_WORKERS = (
    "stateful mode keeps its jobs in one process unless they are in PostgreSQL: "
    "use --workers 1 (the default) or --state-url postgresql://USER@HOST:PORT/DATABASE"
)

Command = TypeVar("Command", bound=Callable[..., Any])


class Positive(click.ParamType[float]):
    """A number of `kind` above 0."""

    def __init__(self, kind: type[int] | type[float]) -> None:
        self.kind = kind
        self.name = "integer" if kind is int else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | float:
        try:
            number = self.kind(value)
        except ValueError:
            self.fail(f"{value!r} is not a number", param, ctx)
        if number <= 0:
            self.fail(f"{value} is not a positive number", param, ctx)
        return number


class Port(click.ParamType[int]):
    """A TCP port: 1–65535, or 0 for one the system picks."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            port = int(value)
        except ValueError:
            self.fail(f"{value!r} is not a port number", param, ctx)
        if not 0 <= port <= 65535:
            self.fail(f"{value} is not a port: use 1-65535, or 0 for a free port the system picks", param, ctx)
        return port


# What `serve` and `proxy` share: the APIs, where to listen, the token, CORS, the body limit, the log.
_SHARED_OPTIONS = (
    click.argument("apis", nargs=-1, metavar="[API]..."),
    click.option("--host", default="127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
    click.option(
        "--port", type=Port(), default=4010, help="Port to listen on; 0 picks a free one (the banner says which)."
    ),
    click.option("--token", show_default="any non-empty token", help="Accept only this bearer token (never printed)."),
    click.option(
        "--cors-origin",
        "cors_origins",
        multiple=True,
        default=("*",),
        metavar="ORIGIN",
        help="An origin allowed by CORS; repeat for several.",
    ),
    click.option(
        "--max-body-bytes",
        type=Positive(int),
        default=Limits().max_body_bytes,
        help="Larger request bodies get 413.",
    ),
    click.option(
        "--max-header-bytes",
        type=Positive(int),
        default=Limits().max_header_bytes,
        help="A larger header block (request line and headers) gets 431.",
    ),
    click.option(
        "--body-timeout",
        type=Positive(float),
        default=Limits().body_timeout,
        metavar="SECONDS",
        help="A header block or body not all arrived this long after it began gets 408.",
    ),
    click.option(
        "--log-level",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        default="info",
        help="What uvicorn logs; info and below log every request.",
    ),
)


def _shared_options(command: Command) -> Command:
    for option in reversed(_SHARED_OPTIONS):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@version_option("jobs-mock")
def cli() -> None:
    """A mock server for Flatfile's and Sift's Jobs APIs, and a proxy that checks a real deployment's traffic."""


@cli.command()
@_shared_options
@click.option("--seed", type=int, default=0, help="Seed of generated data (Prefer: dynamic=true).")
@click.option(
    "--mode",
    type=click.Choice(sorted(MODES)),
    default="static",
    help="static: documented examples; stateful: jobs that exist and move through their lifecycle.",
)
@click.option(
    "--state-file", metavar="PATH", show_default="in memory", help="Stateful mode: keep the jobs in this SQLite file."
)
@click.option(
    "--state-url",
    metavar="URL",
    show_default=f"${STATE_URL_ENV}",
    help="Stateful mode: keep the jobs in this PostgreSQL database (postgresql://USER@HOST:PORT/DATABASE), "
    "shared by every jobs-mock pointed at it; allows --workers.",
)
@click.option(
    "--auto-advance",
    type=Positive(float),
    metavar="SECONDS",
    show_default="off",
    help="Stateful mode: every SECONDS, ready jobs start and running jobs progress until complete.",
)
@click.option(
    "--examples",
    metavar="DIR",
    show_default="none",
    help="Also answer with the examples `jobs-mock proxy --record DIR` recorded (Prefer: example=NAME).",
)
@click.option("--reload", is_flag=True, show_default="off", help="Restart when a spec file changes.")
@click.option(
    "--workers",
    type=Positive(int),
    default=1,
    metavar="N",
    help="Serve from N processes (static mode, or stateful mode with --state-url).",
)
def serve(
    apis: tuple[str, ...],
    host: str,
    port: int,
    log_level: str,
    seed: int,
    mode: str,
    state_file: str | None,
    state_url: str | None,
    auto_advance: float | None,
    examples: str | None,
    reload: bool,
    workers: int,
    **common: Any,
) -> int:
    """Serve each API as a mock: flatfile, sift or the path of an OpenAPI 3.0 spec (default: both bundled APIs)."""
    if reload and workers > 1:
        raise click.UsageError("--reload serves from one process: leave out --workers")
    if mode != "stateful":
        for flag, value in (("--state-file", state_file), ("--state-url", state_url), ("--auto-advance", auto_advance)):
            if value is not None:
                raise click.UsageError(f"{flag} needs --mode stateful")
    else:
        if state_file is not None and state_url is not None:
            raise click.UsageError("--state-file and --state-url name two stores: give one")
        if state_url is None and state_file is None:
            state_url = os.environ.get(STATE_URL_ENV) or None
        if state_url is not None and not state_url.startswith(URL_SCHEMES):
            raise click.UsageError(f"--state-url (or ${STATE_URL_ENV}) must start with {' or '.join(URL_SCHEMES)}")
        if workers > 1 and state_url is None:
            raise click.UsageError(STATEFUL_WORKERS)
    settings = replace(
        _common_settings(apis, **common),
        seed=seed,
        mode=mode,
        state_file=str(Path(state_file).resolve()) if state_file else None,
        auto_advance=auto_advance,
        state_url=state_url,
        access_log=log_level.lower() in ACCESS_LOG_LEVELS,
        examples_dir=str(Path(examples).resolve()) if examples else None,
    )
    return _start(settings, host, port, log_level, workers=workers, reload=reload)


@cli.command()
@_shared_options
@click.option(
    "--upstream",
    "upstreams",
    multiple=True,
    required=True,
    metavar="[API=]URL",
    help="Where requests go, their path appended as sent; once for every API, or API=URL for each.",
)
@click.option(
    "--upstream-timeout",
    type=Positive(float),
    default=DEFAULT_UPSTREAM_TIMEOUT,
    metavar="SECONDS",
    help="An exchange with the upstream taking longer gets 504.",
)
@click.option(
    "--errors",
    is_flag=True,
    show_default="off: forward everything",
    help="Answer an invalid request with the API's 400 (not forwarded), an invalid response with a 502.",
)
@click.option(
    "--record", metavar="DIR", show_default="off", help="Save each conforming answer as a named example in DIR."
)
@click.option(
    "--redact",
    multiple=True,
    metavar="FIELD",
    show_default="none",
    help="A JSON pointer or a field name (any depth) whose value is never written; repeat for several.",
)
@click.option(
    "--report-dir", metavar="DIR", show_default="none", help="Write junit.xml, summary.md, violations.json there."
)
def proxy(
    apis: tuple[str, ...],
    host: str,
    port: int,
    log_level: str,
    upstreams: tuple[str, ...],
    upstream_timeout: float,
    errors: bool,
    record: str | None,
    redact: tuple[str, ...],
    report_dir: str | None,
    **common: Any,
) -> int:
    """Forward each API (as `serve` takes them) to a real deployment, checking the traffic both ways."""
    settings = _common_settings(apis, **common)
    checked = ProxySettings(
        upstreams=_upstreams(upstreams, list(settings.apis)),
        timeout=upstream_timeout,
        errors=errors,
        record_dir=record,
        report_dir=report_dir,
        redact=redact,
    )
    return _start(replace(settings, proxy=checked), host, port, log_level)


def _common_settings(
    apis: tuple[str, ...],
    token: str | None,
    cors_origins: tuple[str, ...],
    max_body_bytes: int,
    max_header_bytes: int,
    body_timeout: float,
    **_: Any,
) -> Settings:
    # Spec paths are made absolute so that a reloading child process finds the same files.
    sources = tuple(
        source if source in DEFAULT_APIS or not Path(source).is_file() else str(Path(source).resolve())
        for source in apis or DEFAULT_APIS
    )
    limits = Limits(max_body_bytes=max_body_bytes, max_header_bytes=max_header_bytes, body_timeout=body_timeout)
    return Settings(apis=sources, token=token, cors_origins=cors_origins, limits=limits)


def _upstreams(values: tuple[str, ...], apis: list[str]) -> dict[str, str]:
    """`--upstream URL` for every API, or `--upstream NAME=URL` for each (NAME as `serve` takes an API)."""
    names = [source if source in DEFAULT_APIS else Path(source).stem for source in apis]
    shared: list[str] = []
    each: dict[str, str] = {}
    for value in values:
        name, equals, url = value.partition("=")
        if equals and name in names:
            each[name] = url
        elif equals and "://" not in name:
            raise click.UsageError(f"--upstream {value}: {name!r} is not an API served here ({', '.join(names)})")
        else:
            shared.append(value)
    if len(shared) > 1:
        raise click.UsageError("give one --upstream URL for every API, or --upstream API=URL for each")
    for url in [*shared, *each.values()]:
        if not url.startswith(("http://", "https://")):
            raise click.UsageError(f"--upstream {url!r} is not an http:// or https:// URL")
    missing = [name for name in names if name not in each and not shared]
    if missing:
        raise click.UsageError(f"no upstream for {', '.join(missing)}: add --upstream {missing[0]}=URL")
    return {name: each.get(name, shared[0] if shared else "") for name in names}


def _start(settings: Settings, host: str, port: int, log_level: str, workers: int = 1, reload: bool = False) -> int:
    """Build the app, bind, print the banner, serve; a problem on the way is one sentence and exit code 2."""
    logging.basicConfig(level=log_level.upper() if log_level != "trace" else "DEBUG")
    # With --reload or --workers, child processes serve: only they open the state, so this one builds the
    # static app (for the banner and early errors) and merely checks the state file or database.
    in_children = reload or workers > 1
    try:
        app = build_app(replace(settings, mode="static") if in_children else settings)
        if in_children:
            check_store(settings.state_file, settings.state_url)
        listener = serving.listen(host, port)
    except (*BUILD_ERRORS, serving.ListenError) as error:
        click.echo(f"jobs-mock: {error}", err=True)
        return PROBLEM
    served = replace(app, settings=settings)  # what the children serve, when they do
    click.echo(banner(served, serving.root_url(host, listener)))
    serving.settle_collector()
    gc.enable()  # paused while it was made (mock_server/__main__.py)
    options = {
        "log_level": log_level,
        # The mock writes its own access log (`mock_server/access_log.py`), the proxy logs each exchange itself.
        "access_log": False,
        "proxy_headers": False,  # a local mock sits behind no proxy: X-Forwarded-* is not worth parsing per request
        "http": protocol(settings.limits.max_header_bytes, settings.limits.body_timeout),
        **app.server_options(),
    }
    if reload:
        serving.serve_reloading(served, listener, options)
    elif workers > 1:
        serving.serve_in_workers(settings, listener, workers, options)
    else:
        serving.serve(app, listener, options)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run `jobs-mock`; a usage error is one sentence on stderr and exit code 2 (SystemExit), never a traceback."""
    try:
        return int(cli.main(args=argv, prog_name="jobs-mock", standalone_mode=False) or 0)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else error.format_message(), err=True)
        raise SystemExit(PROBLEM) from None
    except click.ClickException as error:
        click.echo(f"jobs-mock: {error.format_message()}", err=True)
        raise SystemExit(PROBLEM) from None
    except click.exceptions.Abort:
        return INTERRUPTED
