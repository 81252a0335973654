"""`jobs-mock serve [API ...]`: serve the bundled Jobs APIs (or any OpenAPI 3.0 spec) as a mock."""

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
from mock_server.state.database import check_state_file

SETTINGS_ENV = "JOBS_MOCK_SETTINGS"
STATEFUL_WORKERS = "stateful mode keeps its jobs in one process: use --workers 1 (the default) with --mode stateful"


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobs-mock", description="A mock server for Flatfile's and Sift's Jobs APIs.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve one or more APIs")
    serve.add_argument(
        "apis", nargs="*", metavar="API", help="flatfile, sift or the path of a spec file (default: both bundled APIs)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4010)
    serve.add_argument("--token", help="accept only this bearer token (default: any non-empty token)")
    serve.add_argument(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        metavar="ORIGIN",
        help="an origin allowed by CORS; repeat for several (default: *)",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed of generated data (Prefer: dynamic=true)")
    serve.add_argument("--max-body-bytes", type=int, default=Limits().max_body_bytes, help="larger bodies get 413")
    serve.add_argument(
        "--mode",
        choices=sorted(MODES),
        default="static",
        help="static: documented examples; stateful: jobs that exist and move through their lifecycle",
    )
    serve.add_argument("--state-file", metavar="PATH", help="stateful mode: keep the jobs in this SQLite file")
    serve.add_argument(
        "--auto-advance",
        type=_positive(float),
        metavar="SECONDS",
        help="stateful mode: every SECONDS, ready jobs start and running jobs progress until complete",
    )
    serve.add_argument("--reload", action="store_true", help="restart when a spec file changes")
    serve.add_argument(
        "--workers", type=_positive(int), default=1, metavar="N", help="serve from N processes (static mode)"
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug", "trace"]
    )
    return parser


def _refuse_conflicts(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    if arguments.mode != "stateful":
        for flag, value in (("--state-file", arguments.state_file), ("--auto-advance", arguments.auto_advance)):
            if value is not None:
                parser.error(f"{flag} needs --mode stateful")
    elif arguments.workers > 1:
        parser.error(STATEFUL_WORKERS)
    if arguments.reload and arguments.workers > 1:
        parser.error("--reload serves from one process: leave out --workers")


def _settings(arguments: argparse.Namespace) -> Settings:
    # Spec paths are made absolute so that a reloading child process finds the same files.
    sources = tuple(
        source if source in DEFAULT_APIS or not Path(source).is_file() else str(Path(source).resolve())
        for source in arguments.apis or DEFAULT_APIS
    )
    return Settings(
        apis=sources,
        token=arguments.token,
        cors_origins=tuple(arguments.cors_origins or ("*",)),
        seed=arguments.seed,
        limits=Limits(max_body_bytes=arguments.max_body_bytes),
        mode=arguments.mode,
        state_file=str(Path(arguments.state_file).resolve()) if arguments.state_file else None,
        auto_advance=arguments.auto_advance,
    )


def describe(app: MockApp, root: str) -> str:
    """What is served: each API's URLs, then every operation with its examples by status (default first)."""
    lines = [f"jobs-mock serving on {root}   (GET {root}/ lists it as JSON)"]
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
    settings = _settings(arguments)
    # With --reload or --workers, child processes serve: only they open the state, so this one builds the
    # static app (for the listing and early errors) and merely looks at the state file.
    in_children = arguments.reload or arguments.workers > 1
    try:
        app = build_app(replace(settings, mode="static") if in_children else settings)
        if in_children and settings.state_file:
            check_state_file(Path(settings.state_file))
    except BUILD_ERRORS as error:
        print(f"jobs-mock: {error}", file=sys.stderr)
        return 2
    print(describe(app, f"http://{arguments.host}:{arguments.port}"), flush=True)
    gc.freeze()  # start-up objects (specs, validators) are permanent: keep full collections off them
    options = {
        "host": arguments.host,
        "port": arguments.port,
        "log_level": arguments.log_level,
        "access_log": arguments.log_level in ("info", "debug", "trace"),
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
