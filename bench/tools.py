"""What the benchmark needs outside the project's Python dependencies, installed when missing."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
NODE_BIN = BENCH_DIR / "node_modules" / ".bin"
PACKAGE_LOCK = BENCH_DIR / "package-lock.json"


@dataclass(frozen=True)
class Peers:
    prism: Path
    mockoon: Path


def _installed_version(package: str) -> str | None:
    manifest = BENCH_DIR / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


def ensure_peers() -> Peers:
    """Prism and Mockoon CLI as pinned in bench/package-lock.json, installed into bench/node_modules (again when
    the lock pins other versions than those installed)."""
    pinned = json.loads(PACKAGE_LOCK.read_text())["packages"]
    stale = [
        package
        for package in ("@stoplight/prism-cli", "@mockoon/cli")
        if _installed_version(package) != pinned[f"node_modules/{package}"]["version"]
    ]
    if stale:
        if shutil.which("npm") is None:
            raise RuntimeError("npm is needed to install Prism and Mockoon: apt-get install -y npm")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(BENCH_DIR)], check=True)
    return Peers(NODE_BIN / "prism", NODE_BIN / "mockoon-cli")


def ensure_wrk() -> str:
    """wrk from Debian, installed (as root) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing: run `apt-get install -y wrk` as root")
    if subprocess.run(["apt-get", "install", "-y", "wrk"]).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def command_output(argv: list[str]) -> str:
    completed = subprocess.run(argv, capture_output=True, text=True)
    return (completed.stdout or completed.stderr).strip().splitlines()[0]
