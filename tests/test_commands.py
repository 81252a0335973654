"""Both console scripts as a user first meets them: `--version`, `--help` on every command, shell completion."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import schemathesis
import yaml
from jobs_openapi import spec_path

BIN = Path(sys.executable).parent
COMMANDS = [["jobs-mock"], ["jobs-mock", "serve"], ["jobs-mock", "proxy"], ["jobs-contract"], ["jobs-contract", "run"]]


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script, *arguments = command
    return subprocess.run(
        [str(BIN / script), *arguments], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize(
    ("script", "extra"), [("jobs-mock", []), ("jobs-contract", [f"schemathesis {schemathesis.__version__}"])]
)
def test_version_names_the_kit_the_bundled_specs_and_the_runner(script: str, extra: list[str]) -> None:
    result = run(script, "--version")
    assert result.returncode == 0, result.stderr
    specs = [
        f"{api} spec {yaml.safe_load(spec_path(api).read_text())['info']['version']}" for api in ("flatfile", "sift")
    ]
    assert result.stdout.splitlines() == [f"{script} {version('jobs-contract-kit')}", *specs, *extra]


def _option_entries(help_text: str) -> dict[str, str]:
    """Each option of a --help page with its help text, joined over the lines click wraps it on."""
    entries: dict[str, str] = {}
    options = help_text.split("\nOptions:\n", 1)[1].split("\nCommands:\n")[0]
    for line in options.splitlines():
        if re.match(r"\s{2}-", line):
            name = line.split()[0].rstrip(",")
            entries[name] = line
        elif entries:
            entries[name] += " " + line.strip()
    return entries


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_gives_every_option_a_line_of_help_and_its_default(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    entries = _option_entries(result.stdout)
    assert "--help" in entries or "-h" in entries
    for name, entry in entries.items():
        if name in ("-h", "--version"):
            continue  # help and version are actions, with nothing to default
        assert re.search(r"\S\s{2,}\S", entry), f"{name} has no help: {entry}"
        assert "[default: " in entry or "[required]" in entry, f"{name} shows no default: {entry}"


@pytest.mark.parametrize(
    ("words", "completions"),
    [
        ("jobs-mock s", ["serve"]),
        ("jobs-mock serve --mode ", ["stateful", "static"]),
        ("jobs-mock proxy --upstream-t", ["--upstream-timeout"]),
        ("jobs-contract r", ["run"]),
        ("jobs-contract run --read", ["--read-only"]),
    ],
)
def test_shell_completion_produces_a_script_that_completes_commands_options_and_choices(
    words: str, completions: list[str]
) -> None:
    script = words.split()[0]
    variable = f"_{script.upper().replace('-', '_')}_COMPLETE"  # as README's "Shell completion" says
    source = run(script, env={variable: "bash_source"})
    assert source.returncode == 0, source.stderr
    assert f"complete -o nosort -F _{script.replace('-', '_')}_completion {script}" in source.stdout
    position = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    completed = run(script, env={variable: "bash_complete", "COMP_WORDS": words, "COMP_CWORD": position})
    assert completed.stdout.splitlines() == [f"plain,{word}" for word in completions]
