"""The correctness gate: before any load, both servers must answer every scenario equivalently.

"Equivalent" means:
1. both answer the scenario's expected status;
2. both bodies are JSON;
3. the mock's body validates against the schema the spec documents for that status;
4. when Prism's body validates against that schema too, both bodies have the same shape: the same keys at
   every level of every object, the same JSON type at every key (integers and floats are both "number"),
   and list items of the same shape (compared on the first item when both lists are non-empty).
   Values may differ: the mock echoes the requested job id and lists every violation, Prism does not.
When Prism's body is not in the documented shape (its own problem+json for a path it cannot route), only
1-3 apply, and the gate records that difference as a note: it is a fidelity gap of Prism, not a reason to
refuse a speed comparison.

Mockoon validates nothing (no auth, no parameters, no body), so it is not held to any of this: `note_unchecked`
records how its answer differs from the documented one, and a scenario it does not answer with the expected
status is left out of its figures. The stateful and proxy scenarios have no peer to be alike with:
`conformance_problems` holds one answer to 1-3.
"""

import json
from dataclasses import dataclass
from typing import Any

from openapi_schema_validator import OAS30Validator

from bench.scenarios import Scenario
from bench.spec import load_spec


class GateFailed(Exception):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


@dataclass(frozen=True)
class Verdict:
    problems: list[str]
    notes: list[str]


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    names: dict[type, str] = {dict: "object", list: "array", str: "string"}
    return names[type(value)]


def shape_differences(left: Any, right: Any, pointer: str = "") -> list[str]:
    """Where two JSON values differ in shape, as JSON pointers with what each side has."""
    where = pointer or "/"
    if json_type(left) != json_type(right):
        return [f"{where}: {json_type(left)} vs {json_type(right)}"]
    if isinstance(left, dict):
        differences = [
            f"{where}: key {key!r} only in {'the first' if key in left else 'the second'}"
            for key in sorted(left.keys() ^ right.keys())
        ]
        for key in sorted(left.keys() & right.keys()):
            differences += shape_differences(left[key], right[key], f"{pointer}/{key}")
        return differences
    if isinstance(left, list) and left and right:
        return shape_differences(left[0], right[0], f"{pointer}/0")
    return []


def schema_errors(api: str, schema: dict[str, Any], instance: Any) -> list[str]:
    """Violations of an OpenAPI 3.0 schema; its local $refs resolve against the spec's components."""
    validator = OAS30Validator({**schema, "components": load_spec(api)["components"]})
    return [
        f"{'/' + '/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(instance)
    ]


def _parse(label: str, answer: Answer, problems: list[str]) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        problems.append(f"{label} body is not JSON: {answer.body[:200]!r}")
        return None


def conformance_problems(scenario: Scenario, label: str, answer: Answer) -> list[str]:
    """1-3 above for one server's answer."""
    problems: list[str] = []
    if answer.status != scenario.expected_status:
        return [f"{label} answered {answer.status}, expected {scenario.expected_status}: {answer.body[:200]!r}"]
    body = _parse(label, answer, problems)
    if problems:
        return problems
    return [f"{label} body {error}" for error in schema_errors(scenario.api, scenario.documented_schema(), body)]


@dataclass(frozen=True)
class PeerVerdict:
    serves: bool  # answered with the scenario's expected status: its speed is comparable
    notes: list[str]


def note_unchecked(scenario: Scenario, label: str, answer: Answer) -> PeerVerdict:
    """A peer that validates nothing: how its answer differs from the documented one, never a refusal."""
    serves = answer.status == scenario.expected_status
    problems = conformance_problems(scenario, label, answer)
    if not serves:
        problems = [f"{problems[0]} (left out of its figures)"]
    if not problems:
        return PeerVerdict(serves, [])
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    return PeerVerdict(serves, ["; ".join(problems[:3]) + more])


def judge(scenario: Scenario, mock: Answer, prism: Answer) -> Verdict:
    problems: list[str] = []
    notes: list[str] = []
    for label, answer in (("mock", mock), ("prism", prism)):
        if answer.status != scenario.expected_status:
            problems.append(f"{label} answered {answer.status}, expected {scenario.expected_status}")
    mock_body, prism_body = _parse("mock", mock, problems), _parse("prism", prism, problems)
    if problems:
        return Verdict(problems, notes)
    schema = scenario.documented_schema()
    problems += [f"mock body {error}" for error in schema_errors(scenario.api, schema, mock_body)]
    if schema_errors(scenario.api, schema, prism_body):
        notes.append(
            f"Prism's {prism.status} body is not in the documented shape: {prism.body[:120].decode(errors='replace')}"
        )
    else:
        problems += [f"shape {difference} (mock vs prism)" for difference in shape_differences(mock_body, prism_body)]
    return Verdict(problems, notes)
