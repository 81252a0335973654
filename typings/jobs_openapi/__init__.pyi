# The package `jobs_openapi` is the directory `openapi/` (pyproject.toml maps it with `package-dir`), which mypy
# cannot follow: it reads `openapi/` as the module `openapi`, and this stub gives the installed name its types.
from openapi import *  # noqa: F403
