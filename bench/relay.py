"""The relay floor: the proxy's own upstream client under uvicorn, with nothing checked, counted or reported.

What `jobs-mock proxy` costs at the least with the parts it is built from; its row in the proxy step shows how much
of the proxy's overhead is checking the traffic and how much is relaying it at all. Served like the mock:
``BENCH_RELAY_UPSTREAM=<url> uvicorn bench.relay:app``.
"""

import os

from starlette.types import Receive, Scope, Send

from mock_server.proxy.upstream import Upstream, UpstreamTrouble
from mock_server.serving import settle_collector
from mock_server.settings import Limits
from mock_server.wire import Reply, Request, send_reply

UPSTREAM = Upstream(os.environ["BENCH_RELAY_UPSTREAM"], timeout=30)
LIMITS = Limits()  # the proxy's defaults


async def _lifespan(receive: Receive, send: Send) -> None:
    await receive()  # lifespan.startup
    settle_collector()  # the proxy's collector settings, once the app is up
    await send({"type": "lifespan.startup.complete"})
    await receive()  # lifespan.shutdown
    await UPSTREAM.close()
    await send({"type": "lifespan.shutdown.complete"})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    request = Request.of(scope)
    body = await request.read_body(receive, LIMITS.max_body_bytes, LIMITS.body_timeout)
    try:
        answer = await UPSTREAM.send(request.method, request.target, scope["headers"], body)
    except UpstreamTrouble as trouble:
        await send_reply(send, Reply(trouble.status, trouble.message.encode(), []))
        return
    await send_reply(send, Reply(answer.status, answer.body, answer.headers))
