"""A job lifecycle as data: which statuses each action starts from, where it leads, which fields it touches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ErrorKind, StateError


@dataclass(frozen=True)
class Transition:
    """From any status in `sources`: go to `target` (None keeps the status) and change these fields."""

    sources: frozenset[str]
    target: str | None = None
    stamp: tuple[str, ...] = ()  # set to now
    stamp_once: tuple[str, ...] = ()  # set to now unless already set
    take: tuple[str, ...] = ()  # copied from the request's details when present there
    fixed: Mapping[str, Any] = field(default_factory=dict)
    clear: tuple[str, ...] = ()  # removed; a dotted name reaches into nested objects


@dataclass(frozen=True)
class Action:
    verb: str  # completes the refusal message: "cannot {verb}", e.g. "be executed"
    transitions: tuple[Transition, ...]  # the first whose sources hold the job's status applies


@dataclass(frozen=True)
class Lifecycle:
    id_field: str
    status_field: str
    actions: Mapping[str, Action]
    refusal: str  # format with {id}, {verb}, {status}
    refusal_field: str | None
    timespec: str  # of the timestamps written: "milliseconds" or "seconds"
    touch_stamp: tuple[str, ...] = ()  # set to now on every change
    touch_fixed: Mapping[str, Any] = field(default_factory=dict)  # set on every change

    def timestamp(self, now: datetime) -> str:
        return now.astimezone(UTC).isoformat(timespec=self.timespec).replace("+00:00", "Z")

    def status(self, job: Mapping[str, Any]) -> str | None:
        return job.get(self.status_field)

    def apply(self, job: dict[str, Any], action: str, details: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """The job after `action`; a StateError (failed precondition) naming the status when it is not allowed."""
        transition = self._transition(job, action)
        if transition is None:
            message = self.refusal.format(
                id=job.get(self.id_field), verb=self.actions[action].verb, status=self.status(job)
            )
            raise StateError(ErrorKind.FAILED_PRECONDITION, message, self.refusal_field)
        changed = dict(job)
        for name in transition.clear:
            _clear(changed, name.split("."))
        stamp = self.timestamp(now)
        changed.update({name: stamp for name in transition.stamp})
        changed.update({name: stamp for name in transition.stamp_once if name not in changed})
        changed.update({name: details[name] for name in transition.take if name in details})
        changed.update(transition.fixed)
        if transition.target is not None:
            changed[self.status_field] = transition.target
        return self.touch(changed, now)

    def touch(self, job: dict[str, Any], now: datetime) -> dict[str, Any]:
        stamp = self.timestamp(now)
        return {**job, **{name: stamp for name in self.touch_stamp}, **self.touch_fixed}

    def _transition(self, job: Mapping[str, Any], action: str) -> Transition | None:
        status = self.status(job)
        return next((t for t in self.actions[action].transitions if status in t.sources), None)


def _clear(node: dict[str, Any], path: list[str]) -> None:
    if len(path) == 1:
        node.pop(path[0], None)
    elif isinstance(node.get(path[0]), dict):
        node[path[0]] = dict(node[path[0]])
        _clear(node[path[0]], path[1:])
