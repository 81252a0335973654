"""How findings read in the terminal and in the Markdown summary."""

from __future__ import annotations

from collections.abc import Iterator
from textwrap import indent

from .findings import Finding
from .results import RunResult


def finding_lines(index: int, finding: Finding) -> Iterator[str]:
    yield f"{index}. {finding.operation} — check `{finding.check}`: {finding.title}"
    yield indent(finding.expected_vs_seen or "(no details)", "     ")
    if finding.status is not None:
        yield f"     Seen: HTTP {finding.status}" + (f" {finding.body_excerpt}" if finding.body_excerpt else "")
    if finding.curl:
        yield "     Reproduce:"
        yield indent(finding.curl, "       ")


def summary_lines(result: RunResult) -> Iterator[str]:
    if result.problem and not result.findings:
        yield f"jobs-contract: {result.problem.rstrip('.')}" + ("" if result.problem.endswith("?") else ".")
    for error in result.errors:
        yield f"  error: {error}"
    if result.findings:
        yield f"{len(result.findings)} contract violation(s):"
        for index, finding in enumerate(result.findings, start=1):
            yield from finding_lines(index, finding)
    verdict = {0: "conforms to the spec", 1: "VIOLATES the spec", 2: "could not be checked"}[int(result.exit_code)]
    if not result.problem or result.findings:
        yield f"Result: the API {verdict} ({result.seconds:.1f} s, stopped: {result.stop_reason})."


def markdown(result: RunResult, *, api: str, url: str, seed: int) -> str:
    lines = [
        f"# Contract run: {api}",
        "",
        f"- Target: `{url}`",
        f"- Seed: `{seed}` (rerun with `--seed {seed}`)",
        f"- Time: {result.seconds:.1f} s, stopped: {result.stop_reason}",
        f"- Exit code: {int(result.exit_code)}",
        "",
    ]
    if result.problem:
        lines += [f"**Problem:** {result.problem}", ""]
    lines += [f"- error: {error}" for error in result.errors]
    if not result.findings:
        lines.append("No contract violations found.")
        return "\n".join(lines) + "\n"
    lines += ["## Violations", "", "| # | Operation | Check | Problem |", "|---|---|---|---|"]
    lines += [f"| {i} | `{f.operation}` | `{f.check}` | {f.title} |" for i, f in enumerate(result.findings, start=1)]
    for index, finding in enumerate(result.findings, start=1):
        lines += [
            "",
            f"### {index}. {finding.operation} — `{finding.check}`",
            "",
            "```text",
            finding.expected_vs_seen,
            "```",
        ]
        if finding.status is not None:
            lines += ["", f"Seen: HTTP {finding.status}", "", "```json", finding.body_excerpt, "```"]
        if finding.curl:
            lines += ["", "Reproduce:", "", "```sh", finding.curl, "```"]
    return "\n".join(lines) + "\n"
