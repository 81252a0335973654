"""`--record DIR`: each conforming answer saved as a named example of its operation and status.

Names are readable and stable (`getJob-200-3fa2c1d0`: operation, status, the first 8 hex digits of the SHA-256 of
the redacted body as canonical JSON), so the same body recorded twice, in one run or another, is stored once.
Only the body and the path parameters are kept (never headers); `--redact` fields are removed first.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

from mock_server.example_overlay import Recorded, overlay_path, read_overlay, write_overlay
from mock_server.spec import Api, Operation

from .redaction import Redactor

MAX_PER_RESPONSE = 20  # examples kept per operation and status: a list of changing data would grow without end
logger = logging.getLogger(__name__)


def example_name(operation: Operation, status: int, value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{operation.operation_id}-{status}-{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"


class Recorder:
    """Thread-safe; the overlay file is rewritten whole (atomically) whenever a new example arrives."""

    def __init__(self, directory: Path, apis: list[Api], redactor: Redactor) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.redactor = redactor
        self._apis = {api.name: api for api in apis}
        self._recorded: dict[str, Recorded] = {api.name: read_overlay(overlay_path(directory, api)) for api in apis}
        self._lock = threading.Lock()

    def record(
        self, api: str, operation: Operation, status: int, summary: str, path_params: dict[str, str], body: Any
    ) -> str | None:
        """The example's name when it was new and kept; None when the same body is recorded already (or full)."""
        value = self.redactor.value(body)
        name = example_name(operation, status, value)
        example: dict[str, Any] = {"summary": self.redactor.text(summary)}
        if path_params:
            example["x-path-parameters"] = self.redactor.value(path_params)
        example["value"] = value
        with self._lock:
            examples = self._recorded[api].setdefault(operation.operation_id, {}).setdefault(status, {})
            if name in examples:
                return None
            if len(examples) >= MAX_PER_RESPONSE:
                logger.debug(
                    "%s %s has %d recorded examples already; not recording more",
                    operation.operation_id,
                    status,
                    MAX_PER_RESPONSE,
                )
                return None
            examples[name] = example
            write_overlay(overlay_path(self.directory, self._apis[api]), self._apis[api], self._recorded[api])
        return name
