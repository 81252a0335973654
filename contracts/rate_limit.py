"""`--rate-limit`: one limiter for every request of a run, probes and follow-up reads included."""

from __future__ import annotations

from pyrate_limiter import Limiter, Rate

from .options import RATE_LIMIT

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The limiter counts a request when it is sent; the server counts it when it arrives, and arrivals bunch up by
# up to the network's and the workers' jitter. Spreading the allowance over a slightly longer window keeps any
# window of the stated length on the server's clock within the limit.
JITTER_MARGIN = 1.1


def build_limiter(rate: str) -> Limiter:
    """A sliding-window limiter for REQUESTS/UNIT (`10/s`, `100/m`, `5/2s`), validated by `RunOptions`."""
    match = RATE_LIMIT.match(rate)
    assert match is not None, rate
    seconds = int(match["multiple"] or 1) * UNIT_SECONDS[match["unit"]]
    return Limiter(Rate(int(match["count"]), round(seconds * 1000 * JITTER_MARGIN)))
