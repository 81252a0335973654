"""Report files of a run: JUnit XML for CI and a readable Markdown summary."""

from __future__ import annotations

from pathlib import Path

from .junit import junit_xml
from .options import RunOptions
from .redaction import Redactor
from .results import RunResult
from .summary import markdown

JUNIT_NAME = "junit.xml"
SUMMARY_NAME = "summary.md"


def write_reports(
    directory: Path, result: RunResult, options: RunOptions, *, seed: int, redact: Redactor
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    junit, summary = directory / JUNIT_NAME, directory / SUMMARY_NAME
    junit.write_text(redact(junit_xml(result)), encoding="utf-8")
    summary.write_text(redact(markdown(result, url=options.url, seed=seed)), encoding="utf-8")
    return [junit, summary]
