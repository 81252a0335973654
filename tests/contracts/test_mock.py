"""`jobs-contract run` against `jobs-mock`: the README's commands pass as written against the stateful mock
started with `--token`. The static mock keeps no jobs, so deleted jobs stay readable, created ones are not, and
a list answers the same page whatever `pageSize` or a filter asks for, and no write is ever read back: against it
those checks are left out."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reference_impl.harness import TOKEN, jobs_contract, run_against
from tests.support.servers import MockProcess

CHECKS_NEEDING_STATE = ",".join(
    (
        "use_after_free",
        "ensure_resource_availability",
        "pagination_consistent",
        "deleted_resource_is_gone",
        "list_filters_hold",
        "list_pages_agree",
        "write_is_visible",
        "lifecycle_move_is_real",
    )
)
README = Path(__file__).resolve().parents[2] / "README.md"
README_PORT = "4010"


def _readme_contract_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Contract testing") : text.index("### In your own test suite")]


def _readme_commands_against_the_mock() -> dict[str, list[str]]:
    """The README's `jobs-contract run` commands aimed at the local mock, by API, as argument lists."""
    section = _readme_contract_section()
    commands = re.findall(rf"^jobs-contract (run \w+ --url http://127\.0\.0\.1:{README_PORT}\S*)", section, re.M)
    return {shlex.split(command)[1]: shlex.split(command) for command in commands}


def test_the_readme_starts_the_stateful_mock_with_a_token() -> None:
    section = _readme_contract_section()
    assert 'make serve ARGS="--mode stateful --token s3cret"' in section
    assert "export JOBS_CONTRACT_TOKEN=s3cret" in section
    assert set(_readme_commands_against_the_mock()) == {"flatfile", "sift"}


@pytest.mark.parametrize("api", ["flatfile", "sift"])
def test_the_readme_commands_pass_against_the_stateful_mock(
    api: str, mock_process: Callable[[list[str]], MockProcess]
) -> None:
    server = mock_process(["--mode", "stateful", "--token", "s3cret"])
    command = [part.replace(f":{README_PORT}", f":{server.port}") for part in _readme_commands_against_the_mock()[api]]
    run = jobs_contract(*command, env={"JOBS_CONTRACT_TOKEN": "s3cret"})
    assert run.returncode == 0, run.explain()
    assert "conforms to the spec" in run.stdout


@pytest.mark.parametrize(("api", "base_path"), [("flatfile", "/v1"), ("sift", "")])
def test_jobs_mock_conforms(api: str, base_path: str, mock_process: Callable[[list[str]], MockProcess]) -> None:
    server = mock_process([api, "--token", TOKEN])
    run = run_against(api, server.url + base_path, "--exclude-checks", CHECKS_NEEDING_STATE)
    assert run.returncode == 0, run.explain()
