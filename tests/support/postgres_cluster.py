"""A throw-away PostgreSQL server for the tests: Debian's `postgresql` package, a cluster in a temporary directory.

`initdb` refuses to run as root, so as root (CI) the cluster belongs to the `postgres` user and its commands
run as that user, in a directory it may enter; otherwise they run as whoever runs the tests.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.servers import free_port

DEBIAN_VERSIONS = Path("/usr/lib/postgresql")
MISSING = (
    "needs Debian's PostgreSQL server (initdb, pg_ctl): run `apt-get update && apt-get install -y postgresql` as root"
)
OWNER = "postgres"
COMMAND_TIMEOUT = 60
# Durability is not under test (the server is never killed, only restarted cleanly): skip the disk flushes.
SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200")


def server_binaries() -> Path | None:
    """The bin directory of the newest PostgreSQL installed, if any."""
    found = sorted(
        (path.parent for path in DEBIAN_VERSIONS.glob("*/bin/initdb") if path.parent.parent.name.isdigit()),
        key=lambda bin_dir: int(bin_dir.parent.name),
    )
    if found and (found[-1] / "pg_ctl").exists():
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


class PostgresCluster:
    """A cluster on 127.0.0.1 and a free port; `url(database)` connects as the superuser, without a password."""

    def __init__(self, binaries: Path, settings: tuple[str, ...] = SETTINGS) -> None:
        self.binaries = binaries
        self.settings = settings
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="jobs-mock-postgres-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._names = itertools.count(1)
        if self.as_root:
            shutil.chown(self.root, OWNER, OWNER)
        self._run("initdb", "-D", str(self.data), "-U", OWNER, "-A", "trust", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *arguments: str) -> None:
        command = [str(self.binaries / tool), *arguments]
        if self.as_root:
            command = ["runuser", "-u", OWNER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n{log[-3000:]}")

    def _pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} " + " ".join(
            f"-c {setting}" for setting in self.settings
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-m", "fast", "-o", options, action
        )

    def start(self) -> PostgresCluster:
        self._pg_ctl("start")
        return self

    def restart(self) -> None:
        self._pg_ctl("restart")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "-m", "fast", "stop")

    @property
    def pid(self) -> int:
        """The server's main process (the parent of every backend)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{OWNER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "jobs") -> str:
        """A new empty database; its URL."""
        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
