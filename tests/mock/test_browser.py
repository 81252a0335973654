"""A real browser (Debian's Chromium via Playwright): Swagger UI loads, and a page on another origin
calls the mock with a bearer token — CORS as browsers enforce it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mock_server.app import build_app
from mock_server.settings import Settings
from tests.support.servers import ThreadedServer

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-token"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 15_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's Chromium at /usr/bin/chromium: run `apt-get update && apt-get install -y chromium` as root",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


async def _frontend_page(_request: Any) -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>frontend</title><p>a frontend on another origin</p>")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[ThreadedServer, ThreadedServer]]:
    """The mock, and a frontend page served from another port: another origin."""
    mock = ThreadedServer(build_app(Settings(token=TOKEN)).asgi).start()
    frontend = ThreadedServer(Starlette(routes=[Route("/", _frontend_page)])).start()
    yield mock, frontend
    frontend.stop()
    mock.stop()


@pytest.mark.parametrize(("ui", "title"), [("/v1/ui/", "Flatfile Jobs API"), ("/sift/ui/", "Sift Jobs API")])
def test_swagger_ui_renders_the_spec(
    browser: Any, servers: tuple[ThreadedServer, ThreadedServer], ui: str, title: str
) -> None:
    mock, _ = servers
    page = browser.new_page()
    try:
        page.goto(mock.url + ui, timeout=PAGE_TIMEOUT_MS)
        heading = page.wait_for_selector(".swagger-ui .info .title", timeout=PAGE_TIMEOUT_MS)
        assert title in heading.inner_text()
        assert page.locator(".opblock").count() >= (17 if "v1" in ui else 3)
    finally:
        page.close()


FETCH = """async ([url, init]) => {
    const response = await fetch(url, init);
    return {
        status: response.status,
        body: await response.json(),
        challenge: response.headers.get("www-authenticate"),
    };
}"""


def test_a_page_on_another_origin_calls_the_mock_with_a_token(
    browser: Any, servers: tuple[ThreadedServer, ThreadedServer]
) -> None:
    mock, frontend = servers
    assert mock.url != frontend.url
    page = browser.new_page()
    try:
        page.goto(frontend.url + "/", timeout=PAGE_TIMEOUT_MS)
        flatfile_headers = {"Authorization": f"Bearer {TOKEN}", "X-Disable-Hooks": "true"}
        job = page.evaluate(FETCH, [f"{mock.url}/v1/jobs/us_jb_42", {"headers": flatfile_headers}])
        assert job["status"] == 200
        assert job["body"]["data"]["id"] == "us_jb_42"

        created = page.evaluate(
            FETCH,
            [
                f"{mock.url}/v1/jobs",
                {
                    "method": "POST",
                    "headers": {**flatfile_headers, "Content-Type": "application/json", "Prefer": "code=400"},
                    "body": '{"type": "workbook", "operation": "submitAction", "source": "us_wb_1"}',
                },
            ],
        )
        assert created["status"] == 400
        assert created["body"]["errors"]

        retried = page.evaluate(
            FETCH,
            [f"{mock.url}/api/v1/jobs/j-1:retry", {"method": "POST", "headers": {"Authorization": f"Bearer {TOKEN}"}}],
        )
        assert retried["body"]["job"]["jobId"] == "j-1"

        refused = page.evaluate(
            FETCH,
            [f"{mock.url}/v1/jobs/us_jb_42", {"headers": {"Authorization": "Bearer wrong", "X-Disable-Hooks": "true"}}],
        )
        assert refused["status"] == 401
        assert refused["challenge"] == "Bearer"
        assert refused["body"]["errors"][0]["key"] == "Authorization"
    finally:
        page.close()
