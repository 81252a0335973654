import sys
from importlib.util import find_spec

# Pins of the `bench` extra in pyproject.toml; checked here so that a missing one is a clear message.
BENCH_PACKAGES = {"matplotlib": "matplotlib==3.11.2", "psutil": "psutil==7.2.2"}


def run() -> int:
    missing = [pin for module, pin in BENCH_PACKAGES.items() if find_spec(module) is None]
    if missing:
        print(f"bench needs {', '.join(missing)}: pip install -e '.[bench]' (make bench does it)", file=sys.stderr)
        return 2
    from bench.cli import main

    return main()


sys.exit(run())
