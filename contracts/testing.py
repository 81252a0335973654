"""Contract runs from a team's own pytest suite.

    from contracts.testing import assert_conforms

    def test_jobs_api_honours_the_flatfile_contract(live_server_url):
        assert_conforms("flatfile", f"{live_server_url}/v1", token="test-token")

Keyword arguments are the options of `jobs-contract run` (`max_examples`, `seed`, `phases`, `checks`,
`exclude_checks`, `workers`, `max_time`, `rate_limit`, `read_only`, `report_dir`, ...).
"""

from __future__ import annotations

import dataclasses
import difflib
import io
from typing import Any

from .options import RunOptions
from .results import ExitCode, RunResult
from .runner import execute
from .summary import summary_lines


def run_contract(api: str, url: str, **options: Any) -> RunResult:
    """One contract run, in this process; progress goes to the returned result's `log`."""
    known = [field.name for field in dataclasses.fields(RunOptions) if field.name not in ("api", "url")]
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise TypeError(f"run_contract() got an unknown option {name!r}: {hint}the options are {', '.join(known)}")
    log = io.StringIO()
    result = execute(RunOptions(api=api, url=url.rstrip("/"), **options), stream=log)
    result.log = log.getvalue()
    return result


def assert_conforms(api: str, url: str, **options: Any) -> RunResult:
    """Fail the calling test with every violation (check, expected vs seen, curl) unless the server conforms."""
    result = run_contract(api, url, **options)
    if result.exit_code is not ExitCode.CONFORMS:
        raise AssertionError("\n".join(summary_lines(result)))
    return result
