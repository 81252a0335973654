"""`python -m contracts` is `jobs-contract`."""

from .cli import main

main()
