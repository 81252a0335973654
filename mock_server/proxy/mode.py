"""The proxy as the mock app assembles it: the forwarder, its control endpoints, and a lifespan that closes the
upstream connections and writes the report at shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from starlette.types import ASGIApp

from mock_server.control_access import CONTROL_PREFIX
from mock_server.responder import Forwarder, Responder, StaticResponder
from mock_server.router import api_for_path
from mock_server.spec import Api

from .control import ProxyControl
from .findings import Findings
from .forwarder import ProxyForwarder
from .recording import Recorder
from .redaction import Redactor
from .report import write_report
from .settings import ProxySettings
from .upstream import Upstream

logger = logging.getLogger("mock_server.proxy")


class ProxyMode:
    def __init__(self, apis: list[Api], settings: ProxySettings, token: str | None) -> None:
        missing = [api.name for api in apis if api.name not in settings.upstreams]
        if missing:
            raise ValueError(
                f"no upstream for {', '.join(missing)}: give --upstream URL or --upstream {missing[0]}=URL"
            )
        self.findings = Findings(apis)
        self.report_dir = Path(settings.report_dir) if settings.report_dir else None
        redactor = Redactor(settings.redact, [token] if token else [])
        by_url: dict[str, Upstream] = {}
        for api in apis:
            url = settings.upstreams[api.name]
            by_url.setdefault(url, Upstream(url, settings.timeout))
        self._upstreams = list(by_url.values())
        recorder = Recorder(Path(settings.record_dir), apis, redactor) if settings.record_dir else None
        self._forwarder = ProxyForwarder(
            {api.name: by_url[settings.upstreams[api.name]] for api in apis},
            self.findings,
            redactor,
            errors=settings.errors,
            recorder=recorder,
        )
        self._errors = api_for_path(apis, CONTROL_PREFIX).errors

    def responder(self, static: StaticResponder) -> Responder:
        return static  # never asked: every request goes to the forwarder

    def forwarder(self) -> Forwarder:
        return self._forwarder

    def middlewares(self) -> list[Callable[[ASGIApp], ASGIApp]]:
        return [partial(ProxyControl, findings=self.findings, report_dir=self.report_dir, errors=self._errors)]

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Closes the upstream connections and writes the report: the lifespan's shutdown."""
        for upstream in self._upstreams:
            await upstream.close()
        self.close()

    def close(self) -> None:
        """Writes the report (again, with whatever came since, when the lifespan wrote it already)."""
        if self.report_dir is not None:
            try:
                for path in write_report(self.findings, self.report_dir):
                    logger.info("jobs-mock proxy: wrote %s", path)
            except OSError as error:
                logger.error("jobs-mock proxy: the report could not be written to %s: %s", self.report_dir, error)
