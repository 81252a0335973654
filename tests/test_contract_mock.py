"""`jobs-contract run` against `jobs-mock` (static examples, `--token`): nothing found by the checks that do
not need state. A static mock keeps no jobs, so deleted jobs stay readable, created ones are not, and a
list answers the same page whatever `pageSize` asks for: those three checks are left out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from reference_impl.harness import TOKEN, run_against

from tests.conftest import MockProcess

CHECKS_NEEDING_STATE = "use_after_free,ensure_resource_availability,pagination_consistent,deleted_resource_is_gone"


@pytest.mark.parametrize(("api", "base_path"), [("flatfile", "/v1"), ("sift", "")])
def test_jobs_mock_conforms(api: str, base_path: str, mock_process: Callable[[list[str]], MockProcess]) -> None:
    server = mock_process([api, "--token", TOKEN])
    run = run_against(api, server.url + base_path, "--exclude-checks", CHECKS_NEEDING_STATE)
    assert run.returncode == 0, run.explain()
