"""Report files of a run: JUnit XML for CI, a readable Markdown summary, an HTML page and the coverage as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from .html_report import report_html
from .junit import junit_xml
from .options import RunOptions
from .redaction import Redactor
from .results import RunResult
from .summary import markdown

JUNIT_NAME = "junit.xml"
SUMMARY_NAME = "summary.md"
HTML_NAME = "report.html"
COVERAGE_NAME = "coverage.json"


def write_reports(
    directory: Path, result: RunResult, options: RunOptions, *, seed: int, redact: Redactor
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    junit, summary, html = directory / JUNIT_NAME, directory / SUMMARY_NAME, directory / HTML_NAME
    junit.write_text(redact(junit_xml(result)), encoding="utf-8")
    summary.write_text(redact(markdown(result, url=options.url, seed=seed)), encoding="utf-8")
    html.write_text(redact(report_html(result, options, seed=seed)), encoding="utf-8")
    written = [junit, summary, html]
    if result.coverage is not None:
        coverage = directory / COVERAGE_NAME
        document = {"api": result.api, "seed": seed, "min_coverage": options.min_coverage, **result.coverage.as_json()}
        coverage.write_text(redact(json.dumps(document, indent=2)) + "\n", encoding="utf-8")
        written.append(coverage)
    return written
