"""`python -m reference_impl --token T [--fault NAME ...]`: serve both APIs on a free loopback port.

Prints the origin (`http://127.0.0.1:PORT`) on the first line and serves until its stdin is closed,
so the process that started it stops it by closing the pipe.
"""

import argparse
import sys

from .faults import Fault
from .server import serve

parser = argparse.ArgumentParser(prog="python -m reference_impl")
parser.add_argument("--token", required=True)
parser.add_argument("--fault", action="append", default=[], choices=[fault.value for fault in Fault])
arguments = parser.parse_args()
with serve(token=arguments.token, faults=[Fault(name) for name in arguments.fault]) as server:
    print(server.origin, flush=True)
    sys.stdin.read()
