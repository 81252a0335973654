"""Zero false alarms: a default `jobs-contract run` against the faithful reference implementation exits 0, and
says what it tested."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.reference_impl import RunningServer, serve
from tests.reference_impl.harness import TOKEN, CompletedRun, run_against


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    with serve(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def default_run(reference: RunningServer) -> Callable[[str], CompletedRun]:
    """`default_run(api)`: the default run of API against the reference, run once for every test that reads it."""
    runs: dict[str, CompletedRun] = {}

    def run(api: str) -> CompletedRun:
        if api not in runs:
            runs[api] = run_against(api, reference.url_for(api))
        return runs[api]

    return run


@pytest.mark.parametrize("api", ["flatfile", "sift"])
def test_default_run_finds_nothing_in_a_conforming_server(api: str, default_run: Callable[[str], CompletedRun]) -> None:
    run = default_run(api)
    # The seed is printed on every run: a failure here is reproducible with `--seed`.
    assert run.returncode == 0, run.explain()
    assert "conforms to the spec" in run.stdout
    assert not run.checks


def test_the_summary_says_what_was_tested(default_run: Callable[[str], CompletedRun]) -> None:
    run = default_run("sift")
    assert run.returncode == 0, run.explain()
    tested = re.search(r"Tested: 3/3 operations exercised, ([\d,]+) requests sent; answers: (.*)\.", run.stdout)
    assert tested, run.explain()
    assert int(tested[1].replace(",", "")) > 3
    assert "2xx" in tested[2] and "4xx" in tested[2]
