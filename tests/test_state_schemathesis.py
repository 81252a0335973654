"""Schemathesis against `jobs-mock serve --mode stateful`: every check, the two that need state included.

Lifecycle refusals (retrying a job that did not fail, …) are documented 400s, so the one check that expects
valid data to be accepted is told that 400 is an expected answer too. For Flatfile, link inference is off so
that the stateful phase follows the spec's own links (createJob → every operation on the job it made), with
enough scenarios to take each of them.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

import pytest

from tests.conftest import MockProcess

TOKEN = "stateful-contract-token"

LIFECYCLE_REFUSALS_ARE_DOCUMENTED = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "404"]
"""
SPEC_LINKS_ONLY = """
[phases.stateful.inference]
algorithms = []
[phases.stateful.generation]
max-examples = 100
"""


@pytest.mark.parametrize(
    ("api", "base_path", "phases", "config"),
    [
        ("flatfile", "/v1", "examples,fuzzing,stateful", LIFECYCLE_REFUSALS_ARE_DOCUMENTED + SPEC_LINKS_ONLY),
        ("sift", "", "examples,coverage,fuzzing,stateful", LIFECYCLE_REFUSALS_ARE_DOCUMENTED),
    ],
    ids=["flatfile", "sift"],
)
def test_schemathesis_finds_nothing_in_stateful_mode(
    api: str,
    base_path: str,
    phases: str,
    config: str,
    mock_process: Callable[[list[str]], MockProcess],
    run_schemathesis: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    server = mock_process([api, "--mode", "stateful", "--token", TOKEN])
    name = f"jobs-mock-schemathesis-stateful-{api}"
    result = run_schemathesis(name, api, server.url + base_path, TOKEN, config, "--phases", phases)
    assert re.search(r"\d+ generated, \d+ passed", result.stdout), result.stdout[-3000:]
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", result.stdout)
    assert links is not None, result.stdout[-3000:]
    covered, selected = map(int, links.groups())
    if api == "flatfile":
        assert covered == selected == 14, result.stdout[-3000:]  # every link of createJob's 200 was followed
    else:
        assert covered > 0, result.stdout[-3000:]
