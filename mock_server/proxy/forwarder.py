"""The pipeline's choice of response in proxy mode: the upstream's answer, checked, reported, recorded.

Transparent by default: the request goes on as it came even when it violates the spec, and the answer comes back
as it was, with `Jobs-Mock-Violations: N` added when the exchange broke the spec. With `--errors` an invalid request
gets the mock's own refusal (not forwarded) and an invalid response a 502 in the API's error shape naming each
violation. An upstream that gives no answer gets a 502 or 504 in that shape too.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from mock_server.error_formats import error_reply
from mock_server.errors import RequestError, Violation
from mock_server.responder import Forwarded
from mock_server.response_validation import CheckedResponse, validate_response
from mock_server.wire import Reply

from . import VIOLATIONS_HEADER
from .findings import NOT_IN_SPEC, Finding, Findings, now
from .recording import Recorder
from .redaction import Redactor, bearer_tokens
from .upstream import Upstream, UpstreamAnswer, UpstreamTrouble

_VIOLATIONS_HEADER = VIOLATIONS_HEADER.lower().encode()
logger = logging.getLogger("mock_server.proxy")


def _multi(headers: list[tuple[bytes, bytes]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in headers:
        found.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


def _counted(reply: Reply, count: int) -> Reply:
    if count:
        reply.headers.append((_VIOLATIONS_HEADER, str(count).encode()))
    return reply


class ProxyForwarder:
    def __init__(
        self,
        upstreams: dict[str, Upstream],
        findings: Findings,
        redactor: Redactor,
        *,
        errors: bool = False,
        recorder: Recorder | None = None,
    ) -> None:
        self.upstreams = upstreams
        self.findings = findings
        self.redactor = redactor
        self.errors = errors
        self.recorder = recorder

    async def forward(self, request: Forwarded) -> Reply:
        upstream = self.upstreams[request.api.name]
        if self.errors and request.refusal is not None and request.violations:
            self._report(request, upstream, request.refusal.status, None)
            return _counted(request.refusal, len(request.violations))
        try:
            answer = await upstream.send(request.method, request.target, request.headers, request.body)
        except UpstreamTrouble as trouble:
            logger.warning("jobs-mock proxy: %s %s: %s", request.method, self._path(request), trouble.message)
            self._report(request, upstream, None, None)
            reply = error_reply(request.api.errors, RequestError(trouble.status, [Violation(None, trouble.message)]))
            return _counted(reply, len(request.violations))
        checked = self._check(request, answer)
        self._report(request, upstream, answer.status, checked)
        conforms = not request.violations and not checked.violations
        if self.recorder is not None and request.operation is not None and conforms and checked.body is not None:
            summary = f"{request.method} {request.target.partition('?')[0]}"
            await asyncio.to_thread(
                self.recorder.record,
                request.api.name,
                request.operation,
                answer.status,
                summary,
                request.path_params,
                checked.body,
            )
        count = len(request.violations) + len(checked.violations)
        if self.errors and checked.violations:
            described = [
                Violation(violation.field, f"the upstream's response: {self.redactor.text(violation.message)}")
                for violation in checked.violations
            ]
            return _counted(error_reply(request.api.errors, RequestError(502, described)), count)
        return _counted(Reply(answer.status, answer.body, answer.headers), count)

    @staticmethod
    def _check(request: Forwarded, answer: UpstreamAnswer) -> CheckedResponse:
        if request.operation is None:
            return CheckedResponse([], None)
        try:
            body = answer.decoded_body()
        except httpx.DecodingError as error:
            return CheckedResponse([Violation("content-encoding", f"the body does not decode: {error}")], None)
        return validate_response(request.operation, answer.status, _multi(answer.headers), body)

    def _path(self, request: Forwarded) -> str:
        return self.redactor.target(request.target, bearer_tokens(request.headers))

    def _report(
        self, request: Forwarded, upstream: Upstream, status: int | None, checked: CheckedResponse | None
    ) -> None:
        operation = request.operation.operation_id if request.operation is not None else NOT_IN_SPEC
        response_checked = checked is not None and request.operation is not None
        if not request.violations and (checked is None or not checked.violations):
            if logger.isEnabledFor(logging.INFO):  # the access log of proxy mode (uvicorn's shows queries unredacted)
                logger.info("%s %s -> %s (%s)", request.method, self._path(request), status or "no answer", operation)
            self.findings.add_clean(request.api.name, operation, response_checked)
            return
        secrets = bearer_tokens(request.headers)

        def scrubbed(violations: list[Violation]) -> tuple[Violation, ...]:
            return tuple(Violation(v.field, self.redactor.text(v.message, secrets)) for v in violations)

        finding = Finding(
            at=now(),
            api=request.api.name,
            operation=operation,
            method=request.method,
            path=self._path(request),
            status=status,
            request=scrubbed(request.violations),
            response=scrubbed(checked.violations) if checked is not None else (),
            curl=self.redactor.curl(request.method, upstream.url_for(request.target), request.headers, request.body),
        )
        self._log(finding)
        self.findings.add(finding, response_checked)

    @staticmethod
    def _log(finding: Finding) -> None:
        parts = [
            f"{direction} {violation.field + ': ' if violation.field else ''}{violation.message}"
            for direction, violations in (("request", finding.request), ("response", finding.response))
            for violation in violations
        ]
        logger.warning(
            "jobs-mock proxy: %s %s (%s) %s %s -> %s: %d violation%s: %s; reproduce: %s",
            finding.api,
            finding.operation,
            "/".join(d for d, v in (("request", finding.request), ("response", finding.response)) if v),
            finding.method,
            finding.path,
            finding.status if finding.status is not None else "no answer",
            finding.count,
            "" if finding.count == 1 else "s",
            "; ".join(parts),
            finding.curl,
        )
