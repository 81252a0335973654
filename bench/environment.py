"""The exact versions and machine a run used, for the report."""

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.tools import Peers, command_output

PYTHON_PACKAGES = (
    "jobs-contract-kit",
    "connexion",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "jsonschema",
    "psutil",
    "matplotlib",
)


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def describe(peers: Peers, repo_dir: Path) -> dict[str, str]:
    commit = subprocess.run(
        ["git", "-C", str(repo_dir), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "commit": commit or "unknown",
        "machine": f"{_cpu_model()}, {len(os.sched_getaffinity(0))} cores, Linux {platform.release()}",
        "python": platform.python_version(),
        **{name: _package_version(name) for name in PYTHON_PACKAGES},
        "prism (@stoplight/prism-cli)": command_output([str(peers.prism), "--version"]),
        "mockoon (@mockoon/cli)": command_output([str(peers.mockoon), "--version"]),
        "node": command_output(["node", "--version"]),
        "wrk": command_output(["wrk", "--version"]),
    }
