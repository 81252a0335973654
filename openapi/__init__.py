"""The bundled OpenAPI specs, the single source of truth for the kit, and the one way to read a spec."""

from pathlib import Path
from typing import Any

from .document import HTTP_METHODS, Resolver, SpecError, SpecOperation, operations, read_document

SPEC_DIR = Path(__file__).resolve().parent
BUNDLED = {"flatfile": "flatfile-jobs.yaml", "sift": "sift-jobs.yaml"}

__all__ = [
    "BUNDLED",
    "HTTP_METHODS",
    "SPEC_DIR",
    "Resolver",
    "SpecError",
    "SpecOperation",
    "load_document",
    "operations",
    "read_document",
    "spec_path",
]


def spec_path(api: str) -> Path:
    """The path of a bundled spec (``flatfile`` or ``sift``), or of a spec file given by path."""
    if api in BUNDLED:
        return SPEC_DIR / BUNDLED[api]
    path = Path(api)
    if not path.is_file():
        known = ", ".join(sorted(BUNDLED))
        raise FileNotFoundError(f"no spec named {api!r}: use one of {known} or the path of a spec file")
    return path


def load_document(api: str) -> Any:
    """The document of a bundled spec or of a spec file, read with JSON's types."""
    return read_document(spec_path(api))
