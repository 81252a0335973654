# See __init__.pyi: the submodule, under its installed name.
from openapi.validation import *  # noqa: F403
