"""Keeps the bearer token out of everything a run prints or writes, and nothing else.

A header that carries the token loses its whole value; elsewhere a token is replaced where it occurs exactly.
A short token (`t`) could be any run of letters, so it is replaced only where it stands as a credential,
after `Bearer `: replacing every `t` of a report would also reveal it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .options import TOKEN_ENV

REDACTED = "[REDACTED]"
SHORT_TOKEN = 8
# `-H 'Name: value'` in a curl command as Schemathesis writes it.
CURL_HEADER = re.compile(r"-H '(?P<name>[!#$%&*+.^_`|~0-9A-Za-z-]+): (?P<value>[^']*)'")


@dataclass(frozen=True)
class Redactor:
    secret: str | None

    def __call__(self, text: str) -> str:
        if not self.secret:
            return text
        text = re.sub(rf"(?i)\b(bearer)\s+{re.escape(self.secret)}(?![\w.~+/=-])", rf"\1 {REDACTED}", text)
        if len(self.secret) >= SHORT_TOKEN:
            text = text.replace(self.secret, REDACTED)
        return text

    def carries_token(self, header_value: str) -> bool:
        if not self.secret:
            return False
        credential = header_value.partition(" ")[2]
        return self.secret in (header_value, credential.strip()) or (
            len(self.secret) >= SHORT_TOKEN and self.secret in header_value
        )

    def curl(self, command: str) -> str:
        """The reproducer as it can be pasted: the token's header reads `$JOBS_CONTRACT_TOKEN` from the shell."""

        def header(match: re.Match[str]) -> str:
            name, value = match["name"], match["value"]
            if not self.carries_token(value):
                return match[0]
            scheme = value.partition(" ")[0] if " " in value else ""
            return f'-H "{name}: {scheme + " " if scheme else ""}${TOKEN_ENV}"'

        return self(CURL_HEADER.sub(header, command))
