"""`--version` of both commands: the kit's version and the `info.version` of each bundled spec."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any, TypeVar

import click
import yaml

from . import BUNDLED, spec_path

DISTRIBUTION = "jobs-contract-kit"
Command = TypeVar("Command", bound=Callable[..., Any])


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


def version_option(program: str, **others: str) -> Callable[[Command], Command]:
    """The `--version` option of `program`'s click group, which prints `version_text(program, **others)`."""

    def show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value and not ctx.resilient_parsing:
            click.echo(version_text(program, **others))
            ctx.exit()

    return click.option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help=f"Show the versions of the kit, the bundled specs{''.join(f', {name}' for name in others)}, then exit.",
    )
