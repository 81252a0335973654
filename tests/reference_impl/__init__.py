"""A faithful reference implementation of both Jobs APIs (a test target for `jobs-contract`, not the product)."""

from .faults import Fault
from .server import RunningServer, serve

__all__ = ["Fault", "RunningServer", "serve"]
