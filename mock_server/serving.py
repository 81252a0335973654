"""Listening and serving: the socket is bound before anything is printed, so that the banner names the real
port (the one the system chose for `--port 0`) and a port in use is one sentence; uvicorn then serves on that
socket from this process, from N worker processes, or from a child process that restarts when a spec changes."""

from __future__ import annotations

import errno
import gc
import json
import logging
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from multiprocessing import resource_tracker
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.watchfilesreload import WatchFilesReload

from mock_server import spec
from mock_server.app import BUILD_ERRORS, MockApp, build_app
from mock_server.settings import Limits, Settings

SETTINGS_ENV = "JOBS_MOCK_SETTINGS"
CHILD_APP = "mock_server.serving:app_from_environment"


class ListenError(Exception):
    """Why the mock cannot listen where it was asked to, in one sentence."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host` and `port` (0: any free port), inheritable by worker processes."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except socket.gaierror as error:
        listener.close()
        raise ListenError(f"--host {host} is not an address or a known host name ({error.strerror})") from None
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise ListenError(
                f"port {port} on {host} is in use: stop what listens there, or choose another --port (0 picks a free one)"
            ) from None
        raise ListenError(f"cannot listen on {host} port {port}: {error.strerror}") from None
    listener.set_inheritable(True)
    return listener


def root_url(host: str, listener: socket.socket) -> str:
    """The URL the mock answers on: the host as given, the port as bound."""
    port = listener.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(app: MockApp, listener: socket.socket, options: dict[str, Any]) -> None:
    """uvicorn on `listener` in this process, until Ctrl-C or SIGTERM; `options` are uvicorn.Config's."""
    server = uvicorn.Server(uvicorn.Config(app.asgi, **options))
    # Ctrl-C is uvicorn's graceful shutdown, also before uvicorn takes the signal over and after it gives it
    # back (raising it again): no KeyboardInterrupt at all.
    previous = signal.signal(signal.SIGINT, server.handle_exit)
    try:
        server.run(sockets=[listener])
    finally:
        signal.signal(signal.SIGINT, previous)
        app.close()  # the lifespan's shutdown has closed it already, unless uvicorn stopped before serving


def serve_in_workers(settings: Settings, listener: socket.socket, workers: int, options: dict[str, Any]) -> None:
    """`workers` processes serving on `listener`, each building the app from `settings`, under uvicorn's
    supervisor (which restarts a worker that dies) until Ctrl-C or SIGTERM."""
    _pass_on(settings)
    config = uvicorn.Config(CHILD_APP, factory=True, workers=workers, **options)
    _QuietStartWorkers(config, sockets=[listener]).run()


def serve_reloading(app: MockApp, listener: socket.socket, options: dict[str, Any]) -> None:
    """A child process serving on `listener`, replaced by a new one whenever one of the spec files changes."""
    _pass_on(app.settings)
    files = app.spec_files()
    config = uvicorn.Config(
        CHILD_APP,
        factory=True,
        reload=True,
        reload_dirs=sorted({str(path.parent) for path in files}),
        reload_includes=sorted({path.name for path in files}),
        **options,
    )
    _QuietStartReload(config, target=uvicorn.Server(config).run, sockets=[listener]).run()


def _pass_on(settings: Settings) -> None:
    os.environ[SETTINGS_ENV] = json.dumps(asdict(settings))


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
    # The parent warned about the specs once, before its banner: a child reading them again stays quiet.
    spec.logger.setLevel(logging.ERROR)
    try:
        app = build_app(settings).asgi
    except BUILD_ERRORS as error:
        raise SystemExit(f"jobs-mock: {error}") from None
    settle_collector()
    return app


YOUNG_GENERATION = 5_000


def settle_collector() -> None:
    """Once the app is built: what start-up made lives as long as the process, so it is frozen out of collections;
    and the youngest generation is collected after 5,000 allocations, not 700. The proxy's HTTP client makes many
    short-lived containers per exchange: 201 instead of 220 µs of CPU per proxied exchange (measured; serve is
    unchanged)."""
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])


class _QuietStartWorkers(Multiprocess):
    """uvicorn's supervisor, whose workers never see Ctrl-C: it reaches this process, which stops them with
    SIGTERM (gracefully, once they serve), instead of interrupting each one's imports with a traceback."""

    def init_processes(self) -> None:
        with _children_without_sigint():
            super().init_processes()


class _QuietStartReload(WatchFilesReload):
    """uvicorn's reloader (watchfiles, as uvicorn[standard] installs it), whose serving child never sees Ctrl-C (see _QuietStartWorkers)."""

    def startup(self) -> None:
        with _children_without_sigint():
            super().startup()

    def restart(self) -> None:
        with _children_without_sigint():
            super().restart()


@contextmanager
def _children_without_sigint() -> Iterator[None]:
    """Processes spawned meanwhile start with SIGINT blocked, for good (a signal mask survives exec); a Ctrl-C
    sent to this one meanwhile waits, and is handled as soon as it is unblocked."""
    # Started by the first spawn otherwise, multiprocessing's resource tracker would unblock SIGINT here.
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
