"""`report.html`: one self-contained page for a run (the verdict, the findings with their reproducers, the
coverage matrix, cases and time per pass and phase, the seed and the options), from autoescaped templates."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from mock_server.coverage_page import environment

from .options import RunOptions
from .redaction import REDACTED
from .results import RunResult
from .summary import (
    coverage_lines,
    not_reached_lines,
    operation_problem,
    tested_line,
    unanswered_lines,
    verdict_line,
)
from .tally import answers_by_class


def shown_options(options: RunOptions) -> dict[str, Any]:
    """The options as the run used them, the token never shown."""
    shown: dict[str, Any] = {}
    for option in fields(options):
        value = getattr(options, option.name)
        if option.name == "token":
            value = REDACTED if value else "none"
        elif isinstance(value, tuple):
            value = ",".join(value)
        shown["--" + option.name.replace("_", "-")] = "default" if value is None else value
    return shown


def report_html(result: RunResult, options: RunOptions, *, seed: int) -> str:
    return (
        environment("contracts")
        .get_template("report.html.j2")
        .render(
            result=result,
            options=shown_options(options),
            seed=seed,
            url=options.url,
            verdict=verdict_line(result).removeprefix("Result: the API "),
            tested=tested_line(result) if result.operations else "",
            coverage_lines=list(coverage_lines(result)),
            unanswered=[*unanswered_lines(result), *not_reached_lines(result)],
            not_exercised=[operation_problem(operation) for operation in result.not_exercised],
            answers=answers_by_class(result.operations),
        )
    )
