"""Schemathesis against `jobs-mock serve --mode stateful`: every check, the two that need state included.

Lifecycle refusals (retrying a job that did not fail, …) are documented 400s, so the one check that expects
valid data to be accepted is told that 400 is an expected answer too. For Flatfile, link inference is off so
that the stateful phase follows the spec's own links (createJob → every operation on the job it made), with
enough scenarios to take each of them.

The stateful phase runs on its own, with one worker. After the unit phases it is not reproducible: what
Schemathesis learns from the responses of two fuzzing workers depends on their timing, and a loaded machine
once walked 13 of the 14 links with the same seed. Alone, on an empty store and without Schemathesis's cache
of earlier runs, it walks the same scenarios every time.
"""

from __future__ import annotations

import re
import subprocess
import urllib.request
from collections.abc import Callable

import pytest

from tests.support.servers import MockProcess

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
FRESH_WALK = """
[cache]
enabled = false
"""


@pytest.mark.parametrize(
    ("api", "base_path", "unit_phases", "config"),
    [
        ("flatfile", "/v1", "examples,fuzzing", LIFECYCLE_REFUSALS_ARE_DOCUMENTED + SPEC_LINKS_ONLY),
        ("sift", "", "examples,coverage,fuzzing", LIFECYCLE_REFUSALS_ARE_DOCUMENTED),
    ],
    ids=["flatfile", "sift"],
)
def test_schemathesis_finds_nothing_in_stateful_mode(
    api: str,
    base_path: str,
    unit_phases: str,
    config: str,
    mock_process: Callable[[list[str]], MockProcess],
    run_schemathesis: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    server = mock_process([api, "--mode", "stateful", "--token", TOKEN])
    name = f"jobs-mock-schemathesis-stateful-{api}"
    unit = run_schemathesis(name, api, server.url + base_path, TOKEN, config, "--phases", unit_phases)
    assert re.search(r"\d+ generated, \d+ passed", unit.stdout), unit.stdout[-3000:]
    reset = urllib.request.Request(
        server.url + "/__mock/reset", method="POST", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(reset, timeout=10):
        pass  # the walk starts from an empty store, not from whatever the fuzzing workers left in it
    walk_options = ("--phases", "stateful", "--workers", "1")
    walk = run_schemathesis(f"{name}-walk", api, server.url + base_path, TOKEN, config + FRESH_WALK, *walk_options)
    assert re.search(r"\d+ generated, \d+ passed", walk.stdout), walk.stdout[-3000:]
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", walk.stdout)
    assert links is not None, walk.stdout[-3000:]
    covered, selected = map(int, links.groups())
    if api == "flatfile":
        assert covered == selected == 14, walk.stdout[-3000:]  # every link of createJob's 200 was followed
    else:
        assert covered > 0, walk.stdout[-3000:]
