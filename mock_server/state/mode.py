"""Stateful mode as the mock app builds it: the engine's responder, its control middleware and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from starlette.types import ASGIApp

from mock_server.control_access import CONTROL_PREFIX
from mock_server.responder import Responder, StaticResponder
from mock_server.router import api_for_path
from mock_server.spec import Api

from .control import StateControl
from .engine import StateEngine
from .responder import StatefulResponder
from .ticker import AutoAdvancer


class StatefulMode:
    """Owns the engine from start-up to shutdown: auto-advance runs for the lifespan, which closes the engine."""

    def __init__(self, engine: StateEngine, apis: list[Api], auto_advance: float | None = None) -> None:
        self.engine = engine
        # Control endpoints answer errors in the shape of the API an unknown path there would get.
        self._errors = api_for_path(apis, CONTROL_PREFIX).errors
        self._ticker = AutoAdvancer(engine, auto_advance) if auto_advance else None

    @classmethod
    def open(
        cls, apis: list[Api], state_file: str | Path | None, auto_advance: float | None, state_url: str | None = None
    ) -> StatefulMode:
        """Raises StateFileError for a state store that is not this mock's or cannot be reached (left untouched)."""
        documents = {api.name: api.document for api in apis}
        engine = StateEngine.open(state_file, documents=documents, state_url=state_url)
        return cls(engine, apis, auto_advance)

    def responder(self, static: StaticResponder) -> Responder:
        return StatefulResponder(self.engine, static)

    def forwarder(self) -> None:
        return None

    def middlewares(self) -> list[Callable[[ASGIApp], ASGIApp]]:
        return [partial(StateControl, engine=self.engine, errors=self._errors)]

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        if self._ticker is not None:
            self._ticker.start()
        try:
            yield
        finally:
            self.close()

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        self.engine.close()
