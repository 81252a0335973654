"""What `jobs-mock` prints once it listens: where it serves, how it is set up, and what each API offers."""

from __future__ import annotations

from mock_server.app import MockApp, docs_paths
from mock_server.proxy.settings import ProxySettings
from mock_server.served_setup import setup_facts, setup_lines


def banner(app: MockApp, root: str) -> str:
    """What the mock (`serve`) or the proxy (`proxy`) at `root` says when it starts."""
    proxy = app.settings.proxy
    return describe(app, root) if proxy is None else describe_proxy(app, proxy, root)


def describe(app: MockApp, root: str) -> str:
    """The set-up, each API's URLs, then every operation with its examples by status (default first)."""
    lines = [
        f"jobs-mock serving on {root}   (GET {root}/ lists it as JSON; {root}/__mock/coverage: what was asked)",
        *setup_lines(setup_facts(app.settings)),
    ]
    for api in app.apis:
        ui, spec = docs_paths(api)
        lines.append(f"\n{api.title} {api.version} [{api.name}]  {root}{api.namespace}")
        lines.append(f"  Swagger UI {root}{ui}   spec {root}{spec}")
        for operation in api.operations:
            responses = " | ".join(
                f"{status}: {', '.join(response.examples) or '(generated)'}"
                for status, response in operation.responses.items()
            )
            lines.append(f"  {operation.method:<7}{operation.url_path:<36}{operation.operation_id:<17}{responses}")
    return "\n".join(lines)


def describe_proxy(app: MockApp, proxy: ProxySettings, root: str) -> str:
    """Where each API's traffic goes, how requests are let in, and where findings are reported."""
    lines = [
        f"jobs-mock proxy on {root}   (GET {root}/__mock/violations lists what broke the spec,"
        f" {root}/__mock/coverage what the traffic exercised)"
    ]
    lines += setup_lines(setup_facts(app.settings))
    for api in app.apis:
        lines.append(
            f"{api.title} {api.version} [{api.name}]  {root}{api.namespace} -> {proxy.upstreams[api.name]}{api.namespace}"
        )
    mode = "invalid requests get the API's 400, invalid responses a 502" if proxy.errors else "transparent"
    lines.append(f"validating both directions ({mode}); upstream timeout {proxy.timeout:g} s")
    if proxy.report_dir:
        lines.append(f"report: {proxy.report_dir} (on shutdown and POST {root}/__mock/report)")
    if proxy.record_dir:
        lines.append(f"recording conforming answers as examples in {proxy.record_dir}")
    return "\n".join(lines)
