"""What the benchmark needs outside the project's Python dependencies, installed when missing."""

import os
import shutil
import subprocess
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PRISM_BIN = BENCH_DIR / "node_modules" / ".bin" / "prism"


def ensure_prism() -> Path:
    """Prism, as pinned in bench/package-lock.json, installed into bench/node_modules."""
    if not PRISM_BIN.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("npm is needed to install Prism: apt-get install -y npm")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(BENCH_DIR)], check=True)
    return PRISM_BIN


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
