"""Keeps the bearer token out of everything a run prints or writes."""

from __future__ import annotations

from dataclasses import dataclass

REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class Redactor:
    secret: str | None

    def __call__(self, text: str) -> str:
        if not self.secret:
            return text
        return text.replace(self.secret, REDACTED)
