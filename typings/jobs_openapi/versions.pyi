# See __init__.pyi: the submodule, under its installed name.
from openapi.versions import *  # noqa: F403
