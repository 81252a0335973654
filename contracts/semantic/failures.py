"""Typed failures of the semantic checks: what was expected, what was seen, and the reads that contradict the
answer under test (as curl commands), so a report can reproduce both sides."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from ..schemathesis_adapter import Failure, Severity
from .annotations import MISSING
from .reads import Read

QUOTED_AT_MOST = 200


class SemanticFailure(Failure):
    """An answer of the right shape and the wrong meaning."""

    code: ClassVar[str] = "JC100"
    kind_title: ClassVar[str] = "Answer contradicts what the spec says it means"

    __slots__ = ("expected", "read_curls", "seen")

    def __init__(self, *, operation: str, expected: str, seen: str, reads: tuple[Read, ...] = ()) -> None:
        super().__init__(
            operation=operation,
            title=self.kind_title,
            message=f"Expected {expected}\nSeen {seen}",
            severity=Severity.HIGH,
        )
        self.expected = expected
        self.seen = seen
        self.read_curls = tuple(read.curl for read in reads)


class FilterNotHeld(SemanticFailure):
    code = "JC101"
    checks = ("list_filters_hold",)
    kind_title = "A listed item does not match the filter asked for"


class PagesDisagree(SemanticFailure):
    code = "JC102"
    checks = ("list_pages_agree",)
    kind_title = "The pages of a list disagree with each other or with its totals"


class WriteNotVisible(SemanticFailure):
    code = "JC103"
    checks = ("write_is_visible",)
    kind_title = "The next read does not show what the write answered"


class MoveNotStored(SemanticFailure):
    code = "JC104"
    checks = ("lifecycle_move_is_real",)
    kind_title = "The next read does not show the status the action leaves"


def shown(value: Any) -> str:
    """A value as a report quotes it: JSON, cut short."""
    if value is MISSING:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= QUOTED_AT_MOST else text[: QUOTED_AT_MOST - 1] + "…"
