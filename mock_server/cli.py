"""`jobs-mock serve [API ...]`: serve the bundled Jobs APIs (or any OpenAPI 3.0 spec) as a mock."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path

import uvicorn

from mock_server.app import DEFAULT_APIS, SPEC_ERRORS, MockApp, Settings, build_app, docs_paths
from mock_server.pipeline import Limits

SETTINGS_ENV = "JOBS_MOCK_SETTINGS"


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
    serve.add_argument("--reload", action="store_true", help="restart when a spec file changes")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug", "trace"]
    )
    return parser


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
    """The ASGI app for uvicorn's reloading child process, built from the settings the parent passed on."""
    raw = json.loads(os.environ[SETTINGS_ENV])
    settings = Settings(
        apis=tuple(raw["apis"]),
        token=raw["token"],
        cors_origins=tuple(raw["cors_origins"]),
        seed=raw["seed"],
        limits=Limits(**raw["limits"]),
    )
    app = build_app(settings).asgi
    gc.freeze()
    return app


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(level=arguments.log_level.upper() if arguments.log_level != "trace" else "DEBUG")
    settings = _settings(arguments)
    try:
        app = build_app(settings)
    except SPEC_ERRORS as error:
        print(f"jobs-mock: {error}", file=sys.stderr)
        return 2
    print(describe(app, f"http://{arguments.host}:{arguments.port}"), flush=True)
    gc.freeze()  # start-up objects (specs, validators) are permanent: keep full collections off them
    options = {"host": arguments.host, "port": arguments.port, "log_level": arguments.log_level}
    if arguments.reload:
        os.environ[SETTINGS_ENV] = json.dumps(asdict(settings))
        files = app.spec_files()
        uvicorn.run(
            "mock_server.cli:app_from_environment",
            factory=True,
            reload=True,
            reload_dirs=sorted({str(path.parent) for path in files}),
            reload_includes=sorted({path.name for path in files}),
            **options,
        )
    else:
        uvicorn.run(app.asgi, **options)
    return 0
