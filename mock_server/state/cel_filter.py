"""A list filter written in CEL (Common Expression Language): compiled once, bounded, and narrowed to a query.

`parse_filter(source)` is the one parser for every mode: it refuses a filter that does not parse, is too long
or is nested too deeply, with a `FilterError` naming the problem or the limit. `compile_filter(source, fields)`
adds what evaluating needs: it checks the filter against a job with every field unset (an undeclared variable, a
type mismatch or a non-bool result is refused before any job is read), and raises `FilterError` naming the
limit or the problem. cel-python has no cost limit of its own (cel-go's CostLimit has no counterpart), so
evaluation runs on a counting interpreter: each node evaluated is one step, as cel-go counts cost, and a
filter that takes more steps on one job, builds a value larger than MAX_VALUE_SIZE or runs longer than
EVALUATION_SECONDS is refused the same way.

The parts of a filter that compare fields with constants become a `Condition` the store evaluates itself
(`CelFilter.condition`); only a filter that has other parts (a regex, arithmetic, a macro) needs `matches`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, Evaluator

from mock_server.errors import ErrorKind

from .errors import StateError
from .query import (
    EVERY_JOB,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldKind,
    JobField,
    Not,
    OneOf,
    Operator,
    Text,
    TextTest,
    Value,
    every,
)
from .sql import EPOCH

MAX_FILTER_LENGTH = 2_000  # characters
MAX_NESTING = 16  # parentheses, lists, calls and macro bodies inside one another
MAX_DEPTH = 200  # levels of the parse tree, which long chains of operators also deepen
EVALUATION_COST = 10_000  # steps on one job
MAX_VALUE_SIZE = 10_000  # characters of a string, elements of a list or map built while evaluating
EVALUATION_SECONDS = 1.0  # on one job


@cache
def _environment() -> celpy.Environment:
    """CEL's parser, built when the first filter is compiled: building it takes a quarter of a second, which every
    start of the mock would otherwise pay."""
    return celpy.Environment()


# cel-python appends its whole activation to evaluation errors; the message before it is the useful part.
_ACTIVATION_NOISE = re.compile(r"\s*\(in activation .*", re.DOTALL)
_CEL_TYPE = re.compile(r"<class 'celpy\.celtypes\.(\w+?)(?:Type)?'>")
_RULE = re.compile(r"Token\('RULE', '(\w+)'\)")
# Errors the check against an all-default job reports at once: the filter is wrong for every job.
_STATIC_ERRORS = ("undeclared reference", "no matching overload")
_STEPS_BETWEEN_CLOCK_READINGS = 64


class FilterError(StateError):
    """A filter that cannot be used: a 400 (INVALID_ARGUMENT) about the request parameter that holds it."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(ErrorKind.INVALID_ARGUMENT, f"invalid {parameter}: {problem}", parameter)


def compile_filter(source: str, fields: Mapping[str, JobField], parameter: str = "filter") -> CelFilter:
    """`source` compiled against the variables `fields` (CEL name -> job field); raises FilterError."""
    tree = parse_filter(source, parameter)
    compiled = CelFilter(_environment().program(tree), fields, parameter, *_narrowed(tree, fields))
    compiled.check()
    return compiled


def parse_filter(source: str, parameter: str = "filter") -> lark.Tree[Any]:
    """The parse tree of `source` if it is CEL within the size and nesting limits; raises FilterError.

    What a mode that does not evaluate filters can check; evaluation's own limits apply in `CelFilter`.
    """
    if len(source) > MAX_FILTER_LENGTH:
        raise FilterError(parameter, f"{len(source)} characters, more than the limit of {MAX_FILTER_LENGTH}")
    try:
        tree = _environment().compile(source)
    except CELParseError as error:
        raise FilterError(parameter, f"syntax error at line {error.line}, column {error.column}: {source}") from None
    except RecursionError:
        raise FilterError(parameter, f"nested more deeply than the limit of {MAX_NESTING} levels") from None
    nesting, depth = _nesting(tree)
    if nesting > MAX_NESTING:
        raise FilterError(parameter, f"nested {nesting} levels deep, more than the limit of {MAX_NESTING}")
    if depth > MAX_DEPTH:
        raise FilterError(parameter, f"its operators nest {depth} levels deep, more than the limit of {MAX_DEPTH}")
    return tree


@dataclass
class CelFilter:
    program: celpy.Runner
    fields: Mapping[str, JobField]
    parameter: str
    condition: Condition = EVERY_JOB  # what the store can decide: every job `matches` accepts meets it
    exact: bool = False  # the condition is the whole filter: `matches` need not be called
    _known: str = field(init=False)

    def __post_init__(self) -> None:
        self._known = ", ".join(self.fields)

    def matches(self, job: Mapping[str, Any]) -> bool:
        result = self._evaluate({name: _cel_value(job_field, job) for name, job_field in self.fields.items()})
        if not isinstance(result, celtypes.BoolType):
            raise FilterError(self.parameter, f"the expression must evaluate to a bool, not {type(result).__name__}")
        return bool(result)

    def check(self) -> None:
        """Evaluate once on a job with every field unset: refuse what would be wrong for every job."""
        with suppress(_ValueDependentError):  # a job whose values are set decides
            self.matches({})

    def _evaluate(self, activation: Mapping[str, celtypes.Value]) -> Any:
        budget = _Budget(EVALUATION_COST, time.monotonic() + EVALUATION_SECONDS)
        evaluator = _BoundedEvaluator(self.program.ast, self.program.new_activation(), budget)
        try:
            return evaluator.evaluate(dict(activation))
        except _OverBudget as over:
            raise FilterError(self.parameter, str(over)) from None
        except RecursionError:
            raise FilterError(self.parameter, f"nested more deeply than the limit of {MAX_NESTING} levels") from None
        except CELEvalError as error:
            reason = str(error.args[0] if error.args else error)
            reason = _RULE.sub(r"\1", _CEL_TYPE.sub(r"\1", _ACTIVATION_NOISE.sub("", reason)))
            # cel-python's errors carry no code: its message tells a mistake in the filter from one in the data.
            wrong_for_every_job = any(mistake in reason for mistake in _STATIC_ERRORS)
            kind = FilterError if wrong_for_every_job else _ValueDependentError
            raise kind(self.parameter, f"{reason} (fields: {self._known})") from None


def _cel_value(job_field: JobField, job: Mapping[str, Any]) -> celtypes.Value:
    """A job field as CEL sees it: unset reads as its proto3 default ("" or the epoch), as in query.py."""
    value = job.get(job_field.name)
    if job_field.kind is FieldKind.TIMESTAMP:
        return celtypes.TimestampType(_instant(value))
    return celtypes.StringType(value if isinstance(value, str) else "")


def _instant(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else EPOCH
    except ValueError:
        return EPOCH  # not a timestamp: read as unset, as stores read it


class _ValueDependentError(FilterError):
    """An evaluation error that depends on the job's values (a division by zero, a bad conversion)."""


class _OverBudget(BaseException):
    """Raised through the interpreter, which turns Exceptions into CEL errors, to stop an evaluation."""


@dataclass
class _Budget:
    steps: int
    deadline: float

    def spend(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise _OverBudget(f"evaluating it takes more than the limit of {EVALUATION_COST} steps on one job")
        if self.steps % _STEPS_BETWEEN_CLOCK_READINGS == 0 and time.monotonic() > self.deadline:
            raise _OverBudget(f"evaluating it takes longer than the limit of {EVALUATION_SECONDS} s on one job")


class _BoundedEvaluator(Evaluator):
    """cel-python's interpreter, counting each node it evaluates, its macros' nested evaluators included."""

    def __init__(self, ast: lark.Tree[Any], activation: Any, budget: _Budget) -> None:
        super().__init__(ast, activation)
        self.budget = budget

    def sub_evaluator(self, ast: lark.Tree[Any]) -> Evaluator:
        return _BoundedEvaluator(ast, self.activation, self.budget)

    def _visit_tree(self, tree: lark.Tree[Any]) -> Any:
        self.budget.spend()
        result = super()._visit_tree(tree)
        if isinstance(result, str | bytes | list | dict) and len(result) > MAX_VALUE_SIZE:
            raise _OverBudget(f"it builds a value larger than the limit of {MAX_VALUE_SIZE} elements")
        return result


def _nesting(tree: lark.Tree[Any]) -> tuple[int, int]:
    """(most `expr` nodes inside one another, longest path): measured without recursion."""
    deepest_nesting = deepest = 0
    pending = [(tree, 0, 1)]  # the whole filter is an `expr`: level 0
    while pending:
        node, nesting, depth = pending.pop()
        deepest_nesting, deepest = max(deepest_nesting, nesting), max(deepest, depth)
        for child in node.children:
            if isinstance(child, lark.Tree):
                pending.append((child, nesting + (child.data == "expr"), depth + 1))
    return deepest_nesting, deepest


# --- the parts of a filter a store can decide --------------------------------------------------------------
_OPERATORS = {
    "relation_eq": Operator.EQ,
    "relation_ne": Operator.NE,
    "relation_lt": Operator.LT,
    "relation_le": Operator.LE,
    "relation_gt": Operator.GT,
    "relation_ge": Operator.GE,
}
_TEXT_TESTS = {test.value: test for test in TextTest}
_PASSING = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member"}
    | {"primary", "paren_expr"}
)
_PLAIN_STRING = re.compile(r"""^(?:"([^"\\\n]*)"|'([^'\\\n]*)')$""")


def _narrowed(tree: lark.Tree[Any], fields: Mapping[str, JobField]) -> tuple[Condition, bool]:
    """The conjuncts of the filter a store can decide, and whether they are all of it."""
    conjuncts = _conjuncts(tree)
    decided = [_condition(part, fields) for part in conjuncts]
    known = [condition for condition in decided if condition is not None]
    return every(*known) if known else EVERY_JOB, len(known) == len(conjuncts)


def _unwrap(node: lark.Tree[Any]) -> lark.Tree[Any]:
    """Past the grammar's levels that only pass one child on (and parentheses) to the node that does something."""
    while node.data in _PASSING and len(node.children) == 1 and isinstance(node.children[0], lark.Tree):
        node = node.children[0]
    return node


def _conjuncts(tree: lark.Tree[Any]) -> list[lark.Tree[Any]]:
    node = _unwrap(tree)
    if node.data == "conditionaland" and len(node.children) == 2:
        return [part for child in node.children for part in _conjuncts(child)]
    return [node]


def _condition(tree: lark.Tree[Any], fields: Mapping[str, JobField]) -> Condition | None:
    node = _unwrap(tree)
    children = [child for child in node.children if isinstance(child, lark.Tree)]
    if node.data in ("conditionaland", "conditionalor") and len(children) == 2:
        left, right = _condition(children[0], fields), _condition(children[1], fields)
        if left is None or right is None:
            return None
        return AllOf((left, right)) if node.data == "conditionaland" else AnyOf((left, right))
    if node.data == "unary" and len(children) == 2 and children[0].data == "unary_not":
        inner = _condition(children[1], fields)
        return None if inner is None else Not(inner)
    if node.data == "relation" and len(children) == 2:
        return _relation(children[0], children[1], fields)
    if node.data == "member_dot_arg":
        return _text_test(node, fields)
    if node.data == "literal" and node.children[0] in ("true", "false"):
        return EVERY_JOB if node.children[0] == "true" else AnyOf(())
    return None


def _relation(
    operation: lark.Tree[Any], right_tree: lark.Tree[Any], fields: Mapping[str, JobField]
) -> Condition | None:
    left = _operand(operation.children[0], fields)
    if operation.data == "relation_in":
        values = _string_list(right_tree)
        if isinstance(left, JobField) and left.kind is FieldKind.TEXT and values is not None:
            return OneOf(left, values)
        return None
    right = _operand(right_tree, fields)
    if operation.data not in _OPERATORS or left is None or right is None or _kind(left) is not _kind(right):
        return None
    if isinstance(left, Value) and isinstance(right, Value):
        return None  # constants only: CEL decides, with its own errors
    return Compare(left, _OPERATORS[operation.data], right)


def _text_test(node: lark.Tree[Any], fields: Mapping[str, JobField]) -> Condition | None:
    if len(node.children) != 3:
        return None
    target, method, arguments = node.children
    subject = _operand(target, fields)
    test = _TEXT_TESTS.get(str(method))
    values = _string_list(arguments) if isinstance(arguments, lark.Tree) else None
    if not isinstance(subject, JobField) or subject.kind is not FieldKind.TEXT or test is None:
        return None
    if values is None or len(values) != 1:
        return None
    return Text(subject, test, values[0])


def _operand(tree: Any, fields: Mapping[str, JobField]) -> JobField | Value | None:
    if not isinstance(tree, lark.Tree):
        return None
    node = _unwrap(tree)
    if node.data == "ident":
        return fields.get(str(node.children[0]))
    if node.data == "literal":
        text = _string(node)
        return None if text is None else Value(text)
    if node.data == "ident_arg" and str(node.children[0]) == "timestamp" and len(node.children) == 2:
        arguments = _string_list(node.children[1])
        if arguments is None or len(arguments) != 1:
            return None
        try:
            moment = celtypes.TimestampType(arguments[0])
        except ValueError:
            return None
        return Value(moment) if moment.microsecond % 1000 == 0 else None  # stores compare whole milliseconds
    return None


def _string(literal: lark.Tree[Any]) -> str | None:
    match = _PLAIN_STRING.match(str(literal.children[0]))
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def _string_list(tree: lark.Tree[Any]) -> tuple[str, ...] | None:
    """The plain string constants of a list literal or an argument list; None if anything else is in it."""
    node = _unwrap(tree)
    if node.data == "list_lit":
        if not node.children:
            return ()
        node = node.children[0]
    if node.data != "exprlist":
        return None
    values = []
    for item in node.children:
        leaf = _unwrap(item)
        text = _string(leaf) if leaf.data == "literal" else None
        if text is None:
            return None
        values.append(text)
    return tuple(values)


def _kind(operand: JobField | Value) -> FieldKind:
    if isinstance(operand, JobField):
        return operand.kind
    return FieldKind.TIMESTAMP if isinstance(operand.value, datetime) else FieldKind.TEXT
