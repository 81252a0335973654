"""Coverage as an HTML page: one Jinja environment (autoescaped) whose templates draw the coverage matrix, for
the mock's `/__mock/coverage` and for the report of a contract run. Pages are self-contained (inline CSS and
script, nothing fetched), so they work from `file://` and as CI artifacts."""

from __future__ import annotations

import math

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from mock_server.coverage import CoverageReport

HEAT_LEVELS = 5


def heat(count: int, most: int) -> int:
    """0 for an untouched cell, else 1..HEAT_LEVELS on a log scale up to the busiest cell."""
    if count <= 0:
        return 0
    if most <= 1:
        return HEAT_LEVELS
    return 1 + min(HEAT_LEVELS - 1, int((HEAT_LEVELS - 1) * math.log(count) / math.log(most)))


def environment(*packages: str) -> Environment:
    """Templates of `packages` (their `templates/` folder) first, then the coverage templates they may use."""
    loader = ChoiceLoader([PackageLoader(package, "templates") for package in (*packages, "mock_server")])
    env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["heat"] = heat
    return env


def coverage_page(report: CoverageReport, *, session: str, sessions: list[str]) -> str:
    """The mock's coverage of one session, as a page."""
    return environment().get_template("coverage.html.j2").render(report=report, session=session, sessions=sessions)
