"""Redaction removes the token and nothing else; reproducers read it from the shell."""

from __future__ import annotations

from contracts.redaction import REDACTED, Redactor

LONG = "s3cret-token-5d1e"


def test_a_reproducer_reads_the_token_from_the_environment() -> None:
    curl = f"curl -X GET -H 'Authorization: Bearer {LONG}' -H 'X-Disable-Hooks: true' http://127.0.0.1:4010/v1/jobs"
    assert Redactor(LONG).curl(curl) == (
        "curl -X GET -H \"Authorization: Bearer $JOBS_CONTRACT_TOKEN\" -H 'X-Disable-Hooks: true'"
        " http://127.0.0.1:4010/v1/jobs"
    )


def test_a_header_that_is_not_the_token_stays_as_sent() -> None:
    # ignored_auth's reproducer sends a made-up credential on purpose: it must stay to reproduce.
    curl = "curl -X GET -H 'Authorization: Bearer invalid' http://127.0.0.1:4010/v1/jobs"
    assert Redactor(LONG).curl(curl) == curl


def test_exact_occurrences_of_a_long_token_are_redacted() -> None:
    assert Redactor(LONG)(f"echoed {LONG} back") == f"echoed {REDACTED} back"


def test_a_short_token_is_redacted_only_where_it_stands_as_the_token() -> None:
    redact = Redactor("t")
    text = 'Testing the plan {"key": "firstName"}; Authorization: Bearer t'
    assert redact(text) == f'Testing the plan {{"key": "firstName"}}; Authorization: Bearer {REDACTED}'
    assert redact.curl("curl -H 'Authorization: Bearer t' http://x/jobs/t") == (
        'curl -H "Authorization: Bearer $JOBS_CONTRACT_TOKEN" http://x/jobs/t'
    )


def test_without_a_token_nothing_changes() -> None:
    assert Redactor(None)('{"key": "secret"} Bearer x') == '{"key": "secret"} Bearer x'
