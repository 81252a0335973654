"""Checks of meaning, not only of shape: filters hold, pages agree, writes are visible, lifecycle moves are real.

What each check needs to know is declared by the spec (`x-list`, `x-filter`, `x-read-back` and Link Objects),
so any API annotated the same way gets them. Importing this package registers them with Schemathesis.
"""

from .filters import list_filters_hold
from .lifecycle import lifecycle_move_is_real
from .paging import forget_walks, list_pages_agree
from .writes import write_is_visible

__all__ = ["forget_walks", "lifecycle_move_is_real", "list_filters_hold", "list_pages_agree", "write_is_visible"]
