"""The pytest entry point: `contracts.assert_conforms` inside a team's own suite."""

from __future__ import annotations

import pytest
from reference_impl import Fault, serve
from reference_impl.harness import TOKEN

from contracts import assert_conforms


def test_assert_conforms_passes_for_a_conforming_server() -> None:
    with serve(token=TOKEN) as server:
        result = assert_conforms("sift", server.sift_url, token=TOKEN, max_examples=5)
    assert not result.findings


def test_assert_conforms_fails_with_the_violations() -> None:
    with serve(token=TOKEN, faults=[Fault.SIFT_ENUM_VIOLATION]) as server, pytest.raises(AssertionError) as raised:
        assert_conforms("sift", server.sift_url, token=TOKEN, max_examples=5)
    assert "check `response_schema_conformance`" in str(raised.value)
    assert TOKEN not in str(raised.value)
