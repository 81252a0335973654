"""What never leaves the proxy: bearer tokens, cookies and `--redact` fields, removed before anything is written.

A `--redact` field is a JSON pointer (`/data/config/apiKey`: that place only) or a name (`apiKey`: a body field of
that name at any depth, and a header or query parameter of that name). Tokens are also scrubbed from any text
(a token pasted into a query string or a message is still a token).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from mock_server.echo import parse_pointer

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_NOT_REPRODUCED = frozenset({"host", "content-length", "connection", "transfer-encoding"})


def bearer_tokens(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """The credentials in `Authorization` headers (whatever their scheme), to scrub from text."""
    found = []
    for name, value in headers:
        if name.lower() == b"authorization":
            credentials = value.decode("latin-1").strip().partition(" ")[2].strip()
            if credentials:
                found.append(credentials)
    return found


class Redactor:
    def __init__(self, fields: Iterable[str] = (), secrets: Iterable[str] = ()) -> None:
        fields = tuple(fields)
        self._pointers = frozenset(parse_pointer(field) for field in fields if field.startswith("/"))
        self._names = frozenset(field for field in fields if not field.startswith("/"))
        self._lower_names = frozenset(name.lower() for name in self._names)
        self._secrets = tuple(secret for secret in secrets if secret)

    def value(self, value: Any, at: tuple[str, ...] = ()) -> Any:
        """A copy of a JSON value with every redacted field's value replaced."""
        if isinstance(value, dict):
            return {
                key: REDACTED if self._redacted(key, (*at, key)) else self.value(item, (*at, key))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [
                REDACTED if (*at, str(index)) in self._pointers else self.value(item, (*at, str(index)))
                for index, item in enumerate(value)
            ]
        return self.text(value) if isinstance(value, str) else value

    def _redacted(self, key: str, pointer: tuple[str, ...]) -> bool:
        return key in self._names or pointer in self._pointers

    def text(self, text: str, secrets: Iterable[str] = ()) -> str:
        for secret in (*self._secrets, *secrets):
            text = text.replace(secret, REDACTED)
        return text

    def header(self, name: str, value: str, secrets: Iterable[str] = ()) -> str:
        lower = name.lower()
        if lower in ("authorization", "proxy-authorization"):
            scheme, _, credentials = value.strip().partition(" ")
            return f"{scheme} {REDACTED}" if credentials else REDACTED
        if lower in SECRET_HEADERS or lower in self._lower_names:
            return REDACTED
        return self.text(value, secrets)

    def target(self, target: str, secrets: Iterable[str] = ()) -> str:
        """A path and query with redacted query parameters' values replaced (the rest as sent)."""
        path, mark, query = target.partition("?")
        if not mark:
            return self.text(path, secrets)
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name in self._names for name, _ in pairs):
            query = urlencode([(name, REDACTED if name in self._names else value) for name, value in pairs])
        return self.text(f"{path}?{query}", secrets)

    def body(self, body: bytes, secrets: Iterable[str] = ()) -> str:
        """A request or response body as text to show: JSON with its fields redacted, anything else scrubbed."""
        text = body.decode("utf-8", errors="replace")
        try:
            value = json.loads(text)
        except ValueError:
            return self.text(text, secrets)
        return self.text(json.dumps(self.value(value), ensure_ascii=False), secrets)

    def curl(self, method: str, url: str, headers: Iterable[tuple[bytes, bytes]], body: bytes) -> str:
        """A curl command that sends the same request again, with the secrets replaced by placeholders."""
        headers = list(headers)
        secrets = bearer_tokens(headers)
        command = ["curl", "-X", method, self.text(url, secrets)]
        for raw_name, raw_value in headers:
            name = raw_name.decode("latin-1")
            if name.lower() not in _NOT_REPRODUCED:
                command += ["-H", f"{name}: {self.header(name, raw_value.decode('latin-1'), secrets)}"]
        if body:
            command += ["--data-binary", self.body(body, secrets)]
        return shlex.join(command)
