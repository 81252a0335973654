"""Assemble the mock: CORS, then the mode's middlewares, then our pipeline; behind it Connexion's lifespan,
error and Swagger UI middlewares, for what the pipeline passes on.

Connexion's own routing, security and validation middlewares are left out on purpose (order-dependent
routing, 401 without a token-info function, first-error-only validation in problem+json); its
`ConnexionMiddleware` is the documented way to wrap a non-Connexion ASGI app, which the pipeline is.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

import yaml
from starlette.types import ASGIApp

with warnings.catch_warnings():
    # Connexion 3.3 imports jsonschema's deprecated RefResolver and Starlette's httpx-based TestClient
    # (../shared/notes/stack.md); neither is used here, so their warnings are noise for mock users.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from connexion.exceptions import InvalidSpecification
    from connexion.middleware import ConnexionMiddleware
    from connexion.middleware.exceptions import ExceptionMiddleware
    from connexion.middleware.lifespan import LifespanMiddleware
    from connexion.middleware.server_error import ServerErrorMiddleware
    from connexion.middleware.swagger_ui import SwaggerUIMiddleware
    from connexion.options import SwaggerUIOptions

from mock_server.access_log import AccessLog, AccessLogged
from mock_server.auth import BearerAuth
from mock_server.control_access import CONTROL_PREFIX, ControlAccess, ControlGuard
from mock_server.cors import StampedCORSMiddleware
from mock_server.coverage import documented_operations
from mock_server.coverage_control import COVERAGE_PATH, CoverageControl
from mock_server.docs import fixed_pages
from mock_server.dynamic import DataGenerator
from mock_server.example_overlay import with_recorded_examples
from mock_server.pipeline import MockPipeline, not_found
from mock_server.proxy import VIOLATIONS_HEADER
from mock_server.proxy.dated import SERVER_OPTIONS, DatedAnswers
from mock_server.responder import Forwarder, Responder, StaticResponder
from mock_server.router import api_for_path
from mock_server.served_setup import setup_facts
from mock_server.session_coverage import SessionCoverage
from mock_server.settings import Settings
from mock_server.spec import Api, load_api
from mock_server.state import StateFileError
from mock_server.state.mode import StatefulMode

# What a missing, unreadable or invalid spec, or an unusable state file, raises while the app is built.
BUILD_ERRORS = (OSError, ValueError, yaml.YAMLError, InvalidSpecification, StateFileError)


class Mode(Protocol):
    """What a mode adds to the app: the responder (or a forwarder that answers instead), middlewares in front of
    the pipeline, a lifespan."""

    def responder(self, static: StaticResponder) -> Responder: ...

    def forwarder(self) -> Forwarder | None: ...

    def middlewares(self) -> list[Callable[[ASGIApp], ASGIApp]]: ...

    def lifespan(self, app: object) -> AbstractAsyncContextManager[None]: ...

    def close(self) -> None: ...


class StaticMode:
    """The documented examples (or generated data): nothing to open, nothing to close."""

    def responder(self, static: StaticResponder) -> Responder:
        return static

    def forwarder(self) -> None:
        return None

    def middlewares(self) -> list[Callable[[ASGIApp], ASGIApp]]:
        return []

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        yield

    def close(self) -> None:
        pass


ModeFactory = Callable[[list[Api], Settings], Mode]
MODES: dict[str, ModeFactory] = {
    "static": lambda _apis, _settings: StaticMode(),
    "stateful": lambda apis, settings: StatefulMode.open(
        apis, settings.state_file, settings.auto_advance, settings.state_url
    ),
}


def docs_paths(api: Api) -> tuple[str, str]:
    """Swagger UI and spec URLs: under the base path, or under `/<name>` for a spec without one."""
    prefix = api.base_path or f"/{api.name}"
    return f"{prefix}/ui/", f"{prefix}/openapi.json"


@dataclass(frozen=True)
class MockApp:
    asgi: ConnexionMiddleware
    apis: list[Api]
    mode: Mode
    settings: Settings
    coverage: SessionCoverage
    access_log: AccessLog | None = None

    def server_options(self) -> dict[str, bool]:
        """What this app asks of uvicorn.Config beyond the common options."""
        return SERVER_OPTIONS if self.settings.proxy is not None else {}

    def spec_files(self) -> list[Path]:
        return [api.source for api in self.apis]

    def close(self) -> None:
        """What the ASGI lifespan's shutdown does, for a server that never ran one."""
        self.mode.close()
        if self.access_log is not None:
            self.access_log.close()


def _lifespan(mode: Mode, access_log: AccessLog | None) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """The mode's lifespan; the access log's last lines are written at shutdown."""

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        try:
            async with mode.lifespan(app):
                yield
        finally:
            if access_log is not None:
                access_log.close()

    return lifespan


def build_app(settings: Settings = Settings(), mode_factory: ModeFactory | None = None) -> MockApp:
    """The app; `mode_factory` overrides the mode `settings.mode` names (tests pass an engine of their own)."""
    apis = [load_api(source) for source in settings.apis]
    if settings.examples_dir is not None:
        apis = [with_recorded_examples(api, Path(settings.examples_dir)) for api in apis]
    if mode_factory is None and settings.proxy is not None:
        from mock_server.proxy.mode import ProxyMode  # its HTTP client costs a quarter second to import

        mode: Mode = ProxyMode(apis, settings.proxy, settings.token)
    else:
        mode = (mode_factory or MODES[settings.mode])(apis, settings)
    docs = {api.name: docs_paths(api) for api in apis}
    access_log = AccessLog() if settings.access_log else None
    # Control endpoints answer errors in the shape of the API an unknown path there would get.
    control_access = ControlAccess(settings.token, settings.cors_origins, api_for_path(apis, CONTROL_PREFIX).errors)
    static = StaticResponder(DataGenerator(settings.seed))
    coverage = SessionCoverage(documented_operations(apis))
    exposed = sorted(
        {
            "Allow",
            "WWW-Authenticate",
            "Preference-Applied",
            "Jobs-Mock-Ignored-Prefer",
            *([VIOLATIONS_HEADER] if settings.proxy is not None else []),
            *(
                name.decode()
                for api in apis
                for op in api.operations
                for r in op.responses.values()
                for name, _ in r.headers
            ),
        }
    )
    middleware = ConnexionMiddleware(
        not_found(apis),
        lifespan=_lifespan(mode, access_log),
        middlewares=[
            *([partial(AccessLogged, log=access_log)] if access_log is not None else []),
            *([DatedAnswers] if settings.proxy is not None else []),
            partial(
                StampedCORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=exposed,
                max_age=600,
                preflight_refusal=control_access.preflight_refusal,
            ),
            partial(ControlGuard, access=control_access),
            partial(CoverageControl, coverage=coverage, errors=api_for_path(apis, COVERAGE_PATH).errors),
            *mode.middlewares(),
            partial(
                MockPipeline,
                apis=apis,
                auth=BearerAuth(settings.token),
                responder=mode.responder(static),
                pages=fixed_pages(apis, docs, setup_facts(settings)),
                docs_prefixes=tuple(ui.rstrip("/") for ui, _ in docs.values()),
                limits=settings.limits,
                forwarder=mode.forwarder(),
                coverage=coverage,
            ),
            # Only what the pipeline passes on (the lifespan, docs, unknown paths) goes through these.
            LifespanMiddleware,
            ServerErrorMiddleware,
            ExceptionMiddleware,
            SwaggerUIMiddleware,
        ],
    )
    for api in apis:
        ui_path, spec_path = docs[api.name]
        prefix = api.base_path
        middleware.add_api(
            api.document,
            base_path=prefix,
            # The pipeline serves the spec itself (`mock_server/docs.py`); Swagger UI points at it.
            swagger_ui_options=SwaggerUIOptions(
                serve_spec=False, swagger_ui_path=ui_path[len(prefix) :].rstrip("/"), spec_path=spec_path[len(prefix) :]
            ),
        )
    return MockApp(middleware, apis, mode, settings, coverage, access_log)
