"""`jobs-contract run API --url BASE_URL`: check a server against a Jobs API spec."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import schemathesis
from jobs_openapi.versions import version_option

from .options import (
    ALL_PHASES,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_TIME,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_WORKERS,
    TOKEN_ENV,
    OptionsError,
    RunOptions,
    split_csv,
)
from .results import ExitCode
from .runner import execute
from .summary import problem_line, summary_lines


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@version_option("jobs-contract", schemathesis=schemathesis.__version__)
def cli() -> None:
    """Fuzz an implementation of the Flatfile or Sift Jobs API against its spec (Schemathesis inside)."""


@cli.command()
@click.argument("api")
@click.option(
    "--url", required=True, help="Base URL as in the spec's servers, e.g. http://127.0.0.1:4010/v1 for Flatfile."
)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    show_default="none",
    help=f"Bearer token (or ${TOKEN_ENV}); never printed or written.",
)
@click.option(
    "--max-examples",
    type=int,
    default=DEFAULT_MAX_EXAMPLES,
    show_default=True,
    help="Generated cases per operation and phase.",
)
@click.option(
    "--seed", type=int, show_default="random", help="Seed for data generation (printed by every run, to replay it)."
)
@click.option("--phases", default=",".join(ALL_PHASES), show_default=True, help="Comma-separated phases to run.")
@click.option("--checks", show_default="all", help="Comma-separated checks to run, ours included.")
@click.option("--exclude-checks", default="", show_default="none", help="Comma-separated checks to skip.")
@click.option("--workers", type=int, default=DEFAULT_WORKERS, show_default=True, help="Concurrent workers.")
@click.option(
    "--max-time",
    type=int,
    default=DEFAULT_MAX_TIME,
    show_default=True,
    help="Time budget in seconds: the run ends within it, each operation getting a fair share.",
)
@click.option("--rate-limit", show_default="unlimited", help="At most this many requests, e.g. 10/s or 100/m.")
@click.option(
    "--read-only",
    is_flag=True,
    show_default="off",
    help="Only send requests that change nothing (GET, HEAD, OPTIONS): safe for production.",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path),
    show_default="none",
    help="Write junit.xml, summary.md, report.html and coverage.json here.",
)
@click.option(
    "--min-coverage",
    type=float,
    metavar="PCT",
    show_default="none",
    help="Exit 1 when fewer than PCT % of the documented operation × status pairs were exercised.",
)
@click.option(
    "--request-timeout",
    type=float,
    default=DEFAULT_REQUEST_TIMEOUT,
    show_default=True,
    help="Seconds to wait for each response.",
)
@click.option(
    "--max-failures",
    type=int,
    metavar="N",
    show_default="none",
    help="Stop once N failures are found; what was found is reported.",
)
@click.option(
    "-x", "--exitfirst", is_flag=True, show_default="off", help="Stop at the first failure: --max-failures 1."
)
def run(
    api: str,
    url: str,
    token: str | None,
    phases: str,
    checks: str | None,
    exclude_checks: str,
    max_failures: int | None,
    exitfirst: bool,
    **rest: object,
) -> None:
    """Check the server at --url against API: `flatfile`, `sift` or the path of a spec file."""
    if exitfirst:
        if max_failures not in (None, 1):
            raise click.UsageError(f"-x/--exitfirst means --max-failures 1, not {max_failures}: give one of them")
        max_failures = 1
    try:
        options = RunOptions(
            api=api,
            url=url.rstrip("/"),
            token=token or None,
            phases=split_csv(phases) or (),
            checks=split_csv(checks),
            exclude_checks=split_csv(exclude_checks) or (),
            max_failures=max_failures,
            **rest,  # type: ignore[arg-type]
        )
    except OptionsError as error:
        raise click.UsageError(str(error)) from None
    result = execute(options)
    for line in summary_lines(result):
        # The report goes to stdout; the one sentence that makes the run exit 2 goes to stderr.
        click.echo(line, err=line == problem_line(result) and result.problem is not None)
    sys.exit(int(result.exit_code))


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; usage errors are one sentence on stderr and exit code 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="jobs-contract", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else error.format_message(), err=True)
        sys.exit(ExitCode.PROBLEM)
    except click.ClickException as error:
        click.echo(f"jobs-contract: {error.format_message()}", err=True)
        sys.exit(ExitCode.PROBLEM)
    except click.exceptions.Abort:
        sys.exit(ExitCode.PROBLEM)
