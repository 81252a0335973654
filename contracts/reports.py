"""Report files of a run: JUnit XML (Schemathesis' own writer) and a readable Markdown summary."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

from .redaction import Redactor
from .schemathesis_adapter import ExecutionContext, JunitXMLHandler, events
from .summary import markdown

if TYPE_CHECKING:
    from .options import RunOptions
    from .results import RunResult

JUNIT_NAME = "junit.xml"
SUMMARY_NAME = "summary.md"


class ReportWriter:
    def __init__(self, directory: Path, redact: Redactor) -> None:
        self.directory = directory
        self.redact = redact
        self.junit_text = StringIO()
        self.junit = JunitXMLHandler(self.junit_text)

    def handle_event(self, context: ExecutionContext, event: events.EngineEvent) -> None:
        self.junit.handle_event(context, event)

    def finish(self, context: ExecutionContext, result: RunResult, options: RunOptions, *, seed: int) -> list[Path]:
        self.junit.shutdown(context)
        self.directory.mkdir(parents=True, exist_ok=True)
        junit, summary = self.directory / JUNIT_NAME, self.directory / SUMMARY_NAME
        junit.write_text(self.redact(self.junit_text.getvalue()), encoding="utf-8")
        summary.write_text(self.redact(markdown(result, api=options.api, url=options.url, seed=seed)), encoding="utf-8")
        return [junit, summary]
