"""What `--version` says, for both commands: the kit's version and the `info.version` of each bundled spec."""

from __future__ import annotations

from importlib.metadata import version

import yaml

from . import BUNDLED, spec_path

DISTRIBUTION = "jobs-contract-kit"


def spec_versions() -> dict[str, str]:
    """Each bundled spec's `info.version`, by API name."""
    versions = {}
    for name in BUNDLED:
        with spec_path(name).open("rb") as spec:
            versions[name] = str(yaml.load(spec, Loader=yaml.CSafeLoader)["info"]["version"])
    return versions


def version_text(program: str, **others: str) -> str:
    """`program 0.1.0`, then the bundled specs' versions and any `others` (a library and its version) by name."""
    lines = [f"{program} {version(DISTRIBUTION)}"]
    lines += [f"{name} spec {spec_version}" for name, spec_version in spec_versions().items()]
    lines += [f"{name} {other_version}" for name, other_version in others.items()]
    return "\n".join(lines)
