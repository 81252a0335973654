"""The proxy's report for CI: `junit.xml` (a test case per operation and direction), `summary.md`, `violations.json`.

JUnit as test-report viewers read it (the schema Jenkins, GitLab and GitHub's report actions accept): a
`testsuites` root, one `testsuite` per API, a `testcase` per operation and direction whose `failure` lists each
distinct violation, and a `skipped` case for what no traffic exercised.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from .findings import Findings, Tally

JUNIT = "junit.xml"
SUMMARY = "summary.md"
VIOLATIONS = "violations.json"


def _failure_text(tally: Tally) -> str:
    return "\n".join(f"{text} (x{times})" for text, times in tally.distinct.items())


def junit_xml(findings: Findings) -> bytes:
    tallies = findings.tallies()
    root = ElementTree.Element("testsuites", name="jobs-mock proxy")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for api in findings.apis:
        suite = ElementTree.SubElement(root, "testsuite", name=f"{api.name}: {api.title} {api.version}")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for operation, direction, tally in tallies[api.name]:
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"{api.name}.{operation}", name=f"{operation} {direction}"
            )
            counts["tests"] += 1
            if tally is None:
                ElementTree.SubElement(case, "skipped", message=f"no {direction} of {operation} went through the proxy")
                counts["skipped"] += 1
            elif tally.failed:
                failure = ElementTree.SubElement(
                    case,
                    "failure",
                    message=f"{tally.failed} of {tally.checked} {direction}s violate the spec",
                    type="SpecViolation",
                )
                failure.text = _failure_text(tally)
                counts["failures"] += 1
            else:
                ElementTree.SubElement(case, "system-out").text = f"{tally.checked} {direction}s conform to the spec"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ElementTree.indent(root)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def violations_json(findings: Findings) -> dict[str, Any]:
    return {
        "exchanges": findings.exchanges,
        "violating": findings.violating,
        "violations": [finding.as_json() for finding in findings.recent()],
    }


def summary_md(findings: Findings) -> str:
    lines = [
        "# jobs-mock proxy: traffic against the spec",
        "",
        f"{findings.exchanges} exchanges, {findings.violating} with violations.",
    ]
    for api in findings.apis:
        lines += [
            "",
            f"## {api.title} {api.version} ({api.name})",
            "",
            "| operation | direction | checked | violating | first violation |",
            "| --- | --- | ---: | ---: | --- |",
        ]
        for operation, direction, tally in findings.tallies()[api.name]:
            if tally is None:
                lines.append(f"| {operation} | {direction} | 0 | 0 | (no traffic) |")
                continue
            first = next(iter(tally.distinct), "").replace("|", "\\|")
            lines.append(f"| {operation} | {direction} | {tally.checked} | {tally.failed} | {first} |")
    return "\n".join(lines) + "\n"


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a CI job reading the report never sees half a file."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def write_report(findings: Findings, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        JUNIT: junit_xml(findings),
        SUMMARY: summary_md(findings).encode(),
        VIOLATIONS: (json.dumps(violations_json(findings), indent=2, ensure_ascii=False) + "\n").encode(),
    }
    for name, data in files.items():
        _write(directory / name, data)
    return [directory / name for name in files]
