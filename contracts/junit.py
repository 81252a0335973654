"""The run as JUnit XML, the way CI test-report views read it (GitLab's, GitHub's report actions).

One suite per run, named after the API; one test case per operation, its classname the operationId and its
name `METHOD path`, so a violation reads "flatfile › createJob › negative_data_rejection: …". A failure's
message is the check and its one-line summary, its text every finding of the operation with reproducers.
An operation the run never really exercised is an error, its message the reason; one a run stopped at
`--max-failures` never reached is skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from .results import RunResult
from .summary import finding_lines, operation_problem


def junit_xml(result: RunResult) -> str:
    operations = result.operations
    failed = [operation for operation in operations if result.findings_of(operation)]
    errored = [operation for operation in result.not_exercised if operation not in failed]
    skipped = result.not_reached
    counts = {
        "tests": str(len(operations)),
        "failures": str(len(failed)),
        "errors": str(len(errored)),
        "skipped": str(len(skipped)),
        "time": f"{result.seconds:.1f}",
    }
    suites = ElementTree.Element("testsuites", {"name": "jobs-contract", **counts})
    suite = ElementTree.SubElement(suites, "testsuite", {"name": result.api, **counts})
    for operation in operations:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            {"classname": operation.operation_id, "name": operation.label, "time": f"{operation.seconds:.3f}"},
        )
        findings = result.findings_of(operation)
        if findings:
            first = findings[0]
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            failure = ElementTree.SubElement(
                case, "failure", {"type": first.check, "message": f"{first.check}: {first.title}{more}"}
            )
            failure.text = "\n".join(
                line for index, finding in enumerate(findings, start=1) for line in finding_lines(index, finding)
            )
        elif operation in skipped:
            reason = f"not tested before the run stopped at --max-failures {result.failure_limit}"
            ElementTree.SubElement(case, "skipped", {"message": reason})
        elif not operation.exercised:
            reason = operation_problem(operation)
            ElementTree.SubElement(case, "error", {"type": "not_exercised", "message": reason}).text = reason
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
