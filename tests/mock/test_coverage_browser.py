"""The coverage pages in a real browser (Debian's Chromium via Playwright): a contract run's report.html opened
from file://, and the mock's /__mock/coverage; no console errors, the matrix and the findings are there, and a
screenshot is written beside the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.results import ExitCode, RunResult
from contracts.testing import run_contract
from mock_server.app import build_app
from mock_server.settings import Settings
from tests.mock.test_browser import CHROMIUM, PAGE_TIMEOUT_MS
from tests.reference_impl import Fault, serve
from tests.reference_impl.harness import TOKEN
from tests.support.servers import ThreadedServer

pytest_plugins = ("tests.mock.test_browser",)
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's Chromium at /usr/bin/chromium: run `apt-get update && apt-get install -y chromium` as root",
)
SCREEN = {"width": 1280, "height": 900}


def open_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    """A new page at `url`, and the console errors and uncaught exceptions it has (and will have)."""
    page = browser.new_page(viewport=SCREEN)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, timeout=PAGE_TIMEOUT_MS, wait_until="load")
    return page, errors


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    """A real run against a Sift implementation that breaks its contract: findings to show."""
    report_dir = tmp_path_factory.mktemp("report")
    with serve(token=TOKEN, faults=[Fault.SIFT_ENUM_VIOLATION]) as server:
        result = run_contract("sift", server.url_for("sift"), token=TOKEN, max_time=8, seed=19, report_dir=report_dir)
    assert result.exit_code is ExitCode.VIOLATIONS and result.findings
    return result, report_dir


def test_the_run_report_opens_from_a_file_with_its_matrix_and_findings(
    browser: Any, faulty_run: tuple[RunResult, Path]
) -> None:
    result, report_dir = faulty_run
    page, errors = open_page(browser, (report_dir / "report.html").as_uri())
    assert "VIOLATES the spec" in page.inner_text("#verdict")
    assert page.locator("table.matrix tbody tr").count() == 3
    untouched = page.locator("table.matrix td.untouched").count()
    answered = page.locator("table.matrix td[class*='heat-']").count()
    assert untouched + answered == 11  # every documented operation × status pair is a cell
    assert untouched == len(result.coverage.missed if result.coverage else [])
    assert page.locator("section.finding").count() == len(result.findings)
    assert "curl" in page.locator("section.finding pre.curl").first.inner_text()
    assert TOKEN not in page.content()
    screenshot = report_dir / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The page's one script: "only what was missed" hides the rows whose every status was exercised.
    page.check("input[data-filter-missed]")
    visible = page.locator("table.matrix tbody tr:not(.hidden)").count()
    assert visible == len({pair.split(" (")[0] for pair in (result.coverage.missed if result.coverage else [])})
    assert errors == []
    page.close()


@pytest.fixture
def mock() -> Iterator[ThreadedServer]:
    # No --token: a browser cannot send one when it opens a page, and with one the page needs it too.
    server = ThreadedServer(build_app(Settings()).asgi).start()
    yield server
    server.stop()


def test_the_mock_coverage_page_shows_what_a_session_never_asked_for(
    browser: Any, mock: ThreadedServer, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Disable-Hooks": "true", "X-Mock-Session": "frontend"}
    with httpx.Client(base_url=mock.url, headers=headers, timeout=5) as client:
        assert client.get("/v1/jobs").status_code == 200
        assert client.get("/v1/jobs/us_jb_1").status_code == 200
        assert client.get("/api/v1/jobs").status_code == 200
    page, errors = open_page(browser, f"{mock.url}/__mock/coverage?session=frontend")
    assert page.locator("table.matrix").count() == 2  # Flatfile and Sift
    get_job = page.locator("table.matrix tr[data-operation='getJob']")
    assert get_job.locator("td[data-status='200']").get_attribute("data-count") == "1"
    # The "job not found" screen nobody built: an empty 404 cell, plain to see.
    assert "untouched" in (get_job.locator("td[data-status='404']").get_attribute("class") or "")
    page.screenshot(path=str(tmp_path / "coverage.png"), full_page=True)
    assert (tmp_path / "coverage.png").stat().st_size > 0
    assert errors == []
    page.close()
