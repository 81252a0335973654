"""`jobs-mock` and `python -m mock_server`: the command line, started with the cyclic garbage collector paused.

Importing the mock and building its app make hundreds of thousands of objects that live as long as the process;
collecting among them while they are made took a fifth of a second of every start. `cli` freezes them once the
app is built and resumes collection before serving.
"""

import gc
import sys


def run() -> int:
    gc.disable()
    from mock_server.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
