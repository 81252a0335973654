"""The bundled OpenAPI specs: the single source of truth for the kit."""

from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parent
BUNDLED = {"flatfile": "flatfile-jobs.yaml", "sift": "sift-jobs.yaml"}


def spec_path(api: str) -> Path:
    """The path of a bundled spec (``flatfile`` or ``sift``), or of a spec file given by path."""
    if api in BUNDLED:
        return SPEC_DIR / BUNDLED[api]
    path = Path(api)
    if not path.is_file():
        known = ", ".join(sorted(BUNDLED))
        raise FileNotFoundError(f"no spec named {api!r}: use one of {known} or the path of a spec file")
    return path
