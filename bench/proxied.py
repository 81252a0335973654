"""The proxy step: `jobs-mock proxy` and `prism proxy` in front of the same upstream, against going direct; and the
relay floor (`bench/relay.py`), the proxy's own client with nothing checked, for what relaying alone costs.

The upstream is the bare Starlette app of the ceiling answering get-a-job with the mock's documented bytes. The
proxies run where the servers run (core 0); the upstream shares wrk's core, in the direct runs too, so what a
proxy adds is the difference between its row and the direct row.
"""

import json
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from bench.bench_run import BenchRun
from bench.commands import ceiling_command, mock_proxy_command, prism_proxy_command, relay_command
from bench.gate import GateFailed
from bench.model import DIRECT, Measurement
from bench.scenarios import Scenario
from bench.servers import RunningServer, request

PROXY_SCENARIO = "proxy-get-job"


def proxy_runs(harness: BenchRun, probe: Scenario, body_file: Path) -> list[Measurement]:
    settings = harness.settings
    expected = json.loads(body_file.read_bytes())
    with ExitStack() as stack:
        upstream = harness.launch(
            stack, ceiling_command(body_file, probe.path, DIRECT), "upstream", probe, settings.load_cpus
        )[0]
        url = f"http://127.0.0.1:{upstream.port}"
        servers: dict[str, RunningServer] = {DIRECT: upstream}
        for command in (
            mock_proxy_command(probe.api, url),
            prism_proxy_command(harness.peers.prism, harness.peer_spec(probe.api), url),
            relay_command(url),
        ):
            servers[command.label] = harness.launch(stack, command, command.label.replace(" ", "-"), probe)[0]
        for label, server in servers.items():
            answer = request(server.port, probe)
            if answer.status != probe.expected_status or json.loads(answer.body) != expected:
                raise GateFailed(
                    f"{label} does not pass the upstream's answer on: {answer.status} {answer.body[:200]!r}"
                )
        harness.say("gate: both proxies and the relay floor pass the upstream's get-a-job answer on")
        runs = harness.load_runs(probe, servers, settings.connections)
    return [replace(run, scenario=PROXY_SCENARIO) for run in runs]
