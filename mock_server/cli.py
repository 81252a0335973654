"""`jobs-mock serve [API ...]`: serve the bundled Jobs APIs (or any OpenAPI 3.0 spec) as a mock;
`jobs-mock proxy [API ...] --upstream URL`: forward to a real deployment and check its traffic against the spec."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import uvicorn

from mock_server.app import BUILD_ERRORS, DEFAULT_APIS, MODES, MockApp, Settings, build_app, docs_paths
from mock_server.pipeline import Limits
from mock_server.proxy.settings import DEFAULT_UPSTREAM_TIMEOUT, ProxySettings
from mock_server.state.stores import STATE_URL_ENV, URL_SCHEMES, check_store

SETTINGS_ENV = "JOBS_MOCK_SETTINGS"
ACCESS_LOG_LEVELS = ("info", "debug", "trace")
STATEFUL_WORKERS = (
    "stateful mode keeps its jobs in one process unless they are in PostgreSQL: "
    "use --workers 1 (the default) or --state-url postgresql://USER@HOST:PORT/DATABASE"
)


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type: a number of `kind` above 0."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not a positive number")
        return value

    return parse


def _add_apis_and_server_options(command: argparse.ArgumentParser) -> None:
    """What `serve` and `proxy` share: the APIs, where to listen, the token, CORS, the body limit, the log."""
    command.add_argument(
        "apis", nargs="*", metavar="API", help="flatfile, sift or the path of a spec file (default: both bundled APIs)"
    )
    command.add_argument("--host", default="127.0.0.1")
    command.add_argument("--port", type=int, default=4010)
    command.add_argument("--token", help="accept only this bearer token (default: any non-empty token)")
    command.add_argument(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        metavar="ORIGIN",
        help="an origin allowed by CORS; repeat for several (default: *)",
    )
    command.add_argument("--max-body-bytes", type=int, default=Limits().max_body_bytes, help="larger bodies get 413")
    command.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug", "trace"]
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobs-mock", description="A mock server for Flatfile's and Sift's Jobs APIs.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve one or more APIs")
    _add_apis_and_server_options(serve)
    serve.add_argument("--seed", type=int, default=0, help="seed of generated data (Prefer: dynamic=true)")
    serve.add_argument(
        "--mode",
        choices=sorted(MODES),
        default="static",
        help="static: documented examples; stateful: jobs that exist and move through their lifecycle",
    )
    serve.add_argument("--state-file", metavar="PATH", help="stateful mode: keep the jobs in this SQLite file")
    serve.add_argument(
        "--state-url",
        metavar="URL",
        help="stateful mode: keep the jobs in this PostgreSQL database (postgresql://USER@HOST:PORT/DATABASE), "
        f"shared by every jobs-mock pointed at it; allows --workers (default: ${STATE_URL_ENV})",
    )
    serve.add_argument(
        "--auto-advance",
        type=_positive(float),
        metavar="SECONDS",
        help="stateful mode: every SECONDS, ready jobs start and running jobs progress until complete",
    )
    serve.add_argument(
        "--examples",
        metavar="DIR",
        help="also answer with the examples `jobs-mock proxy --record DIR` recorded (Prefer: example=NAME)",
    )
    serve.add_argument("--reload", action="store_true", help="restart when a spec file changes")
    serve.add_argument(
        "--workers",
        type=_positive(int),
        default=1,
        metavar="N",
        help="serve from N processes (static mode, or stateful mode with --state-url)",
    )
    proxy = commands.add_parser(
        "proxy", help="forward to a real deployment and check the traffic against the spec, both ways"
    )
    _add_apis_and_server_options(proxy)
    proxy.add_argument(
        "--upstream",
        action="append",
        required=True,
        metavar="[API=]URL",
        help="where requests go, their path appended as sent; once for every API, or API=URL for each",
    )
    proxy.add_argument(
        "--upstream-timeout",
        type=_positive(float),
        default=DEFAULT_UPSTREAM_TIMEOUT,
        metavar="SECONDS",
        help="an exchange with the upstream taking longer gets 504 (default: %(default)g)",
    )
    proxy.add_argument(
        "--errors",
        action="store_true",
        help="answer an invalid request with the API's 400 (not forwarded), an invalid response with a 502",
    )
    proxy.add_argument("--record", metavar="DIR", help="save each conforming answer as a named example in DIR")
    proxy.add_argument(
        "--redact",
        action="append",
        default=[],
        metavar="FIELD",
        help="a JSON pointer or a field name (any depth) whose value is never written; repeat for several",
    )
    proxy.add_argument("--report-dir", metavar="DIR", help="write junit.xml, summary.md, violations.json there")
    return parser


def _upstreams(parser: argparse.ArgumentParser, values: list[str], apis: list[str]) -> dict[str, str]:
    """`--upstream URL` for every API, or `--upstream NAME=URL` for each (NAME as `serve` takes an API)."""
    names = [source if source in DEFAULT_APIS else Path(source).stem for source in apis]
    shared: list[str] = []
    each: dict[str, str] = {}
    for value in values:
        name, equals, url = value.partition("=")
        if equals and name in names:
            each[name] = url
        elif equals and "://" not in name:
            parser.error(f"--upstream {value}: {name!r} is not an API served here ({', '.join(names)})")
        else:
            shared.append(value)
    if len(shared) > 1:
        parser.error("give one --upstream URL for every API, or --upstream API=URL for each")
    for url in [*shared, *each.values()]:
        if not url.startswith(("http://", "https://")):
            parser.error(f"--upstream {url!r} is not an http:// or https:// URL")
    missing = [name for name in names if name not in each and not shared]
    if missing:
        parser.error(f"no upstream for {', '.join(missing)}: add --upstream {missing[0]}=URL")
    return {name: each.get(name, shared[0] if shared else "") for name in names}


def _refuse_conflicts(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    if arguments.command == "proxy":
        return
    if arguments.reload and arguments.workers > 1:
        parser.error("--reload serves from one process: leave out --workers")
    if arguments.mode != "stateful":
        for flag, value in (
            ("--state-file", arguments.state_file),
            ("--state-url", arguments.state_url),
            ("--auto-advance", arguments.auto_advance),
        ):
            if value is not None:
                parser.error(f"{flag} needs --mode stateful")
        return
    if arguments.state_file is not None and arguments.state_url is not None:
        parser.error("--state-file and --state-url name two stores: give one")
    if arguments.state_url is None and arguments.state_file is None:
        arguments.state_url = os.environ.get(STATE_URL_ENV) or None
    if arguments.state_url is not None and not arguments.state_url.startswith(URL_SCHEMES):
        parser.error(f"--state-url (or ${STATE_URL_ENV}) must start with {' or '.join(URL_SCHEMES)}")
    if arguments.workers > 1 and arguments.state_url is None:
        parser.error(STATEFUL_WORKERS)


def _settings(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> Settings:
    # Spec paths are made absolute so that a reloading child process finds the same files.
    sources = tuple(
        source if source in DEFAULT_APIS or not Path(source).is_file() else str(Path(source).resolve())
        for source in arguments.apis or DEFAULT_APIS
    )
    common = Settings(
        apis=sources,
        access_log=arguments.command == "serve" and arguments.log_level in ACCESS_LOG_LEVELS,
        token=arguments.token,
        cors_origins=tuple(arguments.cors_origins or ("*",)),
        limits=Limits(max_body_bytes=arguments.max_body_bytes),
    )
    if arguments.command == "proxy":
        proxy = ProxySettings(
            upstreams=_upstreams(parser, arguments.upstream, list(sources)),
            timeout=arguments.upstream_timeout,
            errors=arguments.errors,
            record_dir=arguments.record,
            report_dir=arguments.report_dir,
            redact=tuple(arguments.redact),
        )
        return replace(common, proxy=proxy)
    return replace(
        common,
        seed=arguments.seed,
        mode=arguments.mode,
        state_file=str(Path(arguments.state_file).resolve()) if arguments.state_file else None,
        auto_advance=arguments.auto_advance,
        examples_dir=str(Path(arguments.examples).resolve()) if arguments.examples else None,
        state_url=arguments.state_url,
    )


def describe(app: MockApp, root: str) -> str:
    """What is served: each API's URLs, then every operation with its examples by status (default first)."""
    lines = [f"jobs-mock serving on {root}   (GET {root}/ lists it as JSON; {root}/__mock/coverage: what was asked)"]
    for api in app.apis:
        ui, spec = docs_paths(api)
        lines.append(f"\n{api.title} {api.version} [{api.name}]  {root}{api.namespace}")
        lines.append(f"  Swagger UI {root}{ui}   spec {root}{spec}")
        for operation in api.operations:
            responses = " | ".join(
                f"{status}: {', '.join(response.examples) or '(generated)'}"
                for status, response in operation.responses.items()
            )
            lines.append(f"  {operation.method:<7}{operation.url_path:<36}{operation.operation_id:<17}{responses}")
    return "\n".join(lines)


def describe_proxy(app: MockApp, proxy: ProxySettings, root: str) -> str:
    """Where each API's traffic goes, and where findings are reported."""
    lines = [
        f"jobs-mock proxy on {root}   (GET {root}/__mock/violations lists what broke the spec,"
        f" {root}/__mock/coverage what the traffic exercised)"
    ]
    for api in app.apis:
        lines.append(
            f"{api.title} {api.version} [{api.name}]  {root}{api.namespace} -> {proxy.upstreams[api.name]}{api.namespace}"
        )
    mode = "invalid requests get the API's 400, invalid responses a 502" if proxy.errors else "transparent"
    lines.append(f"validating both directions ({mode}); upstream timeout {proxy.timeout:g} s")
    if proxy.report_dir:
        lines.append(f"report: {proxy.report_dir} (on shutdown and POST {root}/__mock/report)")
    if proxy.record_dir:
        lines.append(f"recording conforming answers as examples in {proxy.record_dir}")
    return "\n".join(lines)


def app_from_environment() -> object:
    """The ASGI app of a child process (`--reload`, `--workers`), built from the settings the parent passed on."""
    raw = json.loads(os.environ[SETTINGS_ENV])
    settings = Settings(
        **{
            **raw,
            "apis": tuple(raw["apis"]),
            "cors_origins": tuple(raw["cors_origins"]),
            "limits": Limits(**raw["limits"]),
        }
    )
    try:
        app = build_app(settings).asgi
    except BUILD_ERRORS as error:
        raise SystemExit(f"jobs-mock: {error}") from None
    gc.freeze()
    return app


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    _refuse_conflicts(parser, arguments)
    logging.basicConfig(level=arguments.log_level.upper() if arguments.log_level != "trace" else "DEBUG")
    settings = _settings(parser, arguments)
    # With --reload or --workers, child processes serve: only they open the state, so this one builds the
    # static app (for the listing and early errors) and merely checks the state file or database.
    in_children = arguments.command == "serve" and (arguments.reload or arguments.workers > 1)
    try:
        app = build_app(replace(settings, mode="static") if in_children else settings)
        if in_children:
            check_store(settings.state_file, settings.state_url)
    except BUILD_ERRORS as error:
        print(f"jobs-mock: {error}", file=sys.stderr)
        return 2
    root = f"http://{arguments.host}:{arguments.port}"
    listing = describe_proxy(app, settings.proxy, root) if settings.proxy is not None else describe(app, root)
    print(listing, flush=True)
    gc.freeze()  # start-up objects (specs, validators) are permanent: keep full collections off them
    options = {
        "host": arguments.host,
        "port": arguments.port,
        "log_level": arguments.log_level,
        # The mock writes its own access log (`mock_server/access_log.py`), the proxy logs each exchange itself.
        "access_log": False,
        "proxy_headers": False,  # a local mock sits behind no proxy: X-Forwarded-* is not worth parsing per request
    }
    if in_children:
        os.environ[SETTINGS_ENV] = json.dumps(asdict(settings))
        files = app.spec_files()
        processes = (
            {
                "reload": True,
                "reload_dirs": sorted({str(path.parent) for path in files}),
                "reload_includes": sorted({path.name for path in files}),
            }
            if arguments.reload
            else {"workers": arguments.workers}
        )
        uvicorn.run("mock_server.cli:app_from_environment", factory=True, **processes, **options)
        return 0
    try:
        uvicorn.run(app.asgi, **options)
    finally:
        app.close()  # the lifespan's shutdown has closed it already, unless uvicorn stopped before serving
    return 0
