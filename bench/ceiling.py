"""The ceiling: a bare Starlette app answering get-a-job's path with the mock's exact bytes.

Served by uvicorn like the mock: ``BENCH_CEILING_BODY=<file> uvicorn bench.ceiling:app``.
"""

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BENCH_CEILING_BODY"]).read_bytes()
PATH = os.environ["BENCH_CEILING_PATH"]


async def same_bytes(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route(PATH, same_bytes)])
