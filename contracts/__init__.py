"""jobs-contract: fuzz an implementation of the Jobs APIs against their specs, with Schemathesis."""

from .testing import assert_conforms, run_contract

__all__ = ["assert_conforms", "run_contract"]
