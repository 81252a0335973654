"""The pytest entry point: `contracts.assert_conforms` inside a team's own suite."""

from __future__ import annotations

import pytest

from contracts import assert_conforms, run_contract
from tests.reference_impl import Fault, serve
from tests.reference_impl.harness import TOKEN


def test_assert_conforms_passes_for_a_conforming_server() -> None:
    with serve(token=TOKEN) as server:
        result = assert_conforms("sift", server.sift_url, token=TOKEN, max_examples=5)
    assert not result.findings


def test_assert_conforms_fails_with_the_violations() -> None:
    with serve(token=TOKEN, faults=[Fault.SIFT_ENUM_VIOLATION]) as server, pytest.raises(AssertionError) as raised:
        assert_conforms("sift", server.sift_url, token=TOKEN, max_examples=5)
    assert "check `response_schema_conformance`" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_two_runs_in_one_process_both_work() -> None:
    with serve(token=TOKEN) as server:
        first = run_contract("flatfile", server.flatfile_url, token=TOKEN, max_time=8, max_examples=3)
        second = run_contract("sift", server.sift_url, token=TOKEN, max_time=5, max_examples=3)
    for result in (first, second):
        assert (result.exit_code, result.errors, result.problem) == (0, [], None), result.log


def test_a_mistyped_option_names_the_valid_ones() -> None:
    with pytest.raises(TypeError, match=r"'max_tme': did you mean 'max_time'\? the options are .*max_examples"):
        run_contract("sift", "http://127.0.0.1:1", max_tme=5)
