"""Prism ignores the path of a spec's server URL, so it gets a copy with that base path folded into its paths."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jobs_openapi import spec_path

from bench.spec import load_spec


def base_path(spec: dict[str, Any]) -> str:
    """The path of the first server URL, without a trailing slash ("" when there is none)."""
    servers = spec.get("servers") or [{"url": "/"}]
    return str(urlsplit(servers[0]["url"]).path).rstrip("/")


def fold_base_path(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` whose paths carry the base path and whose servers are gone (so the base is "/")."""
    prefix = base_path(spec)
    folded = {key: value for key, value in spec.items() if key != "servers"}
    folded["paths"] = {prefix + path: item for path, item in spec["paths"].items()}
    return folded


def write_prism_spec(api: str, directory: Path) -> Path:
    """Write the folded copy of a bundled spec (or spec file) into ``directory`` and return its path."""
    target = directory / f"prism-{spec_path(api).stem}.json"
    target.write_text(json.dumps(fold_base_path(load_spec(api))), encoding="utf-8")
    return target
