"""Reading: the one loop for N >= 1 questions (``loop``), its step input (``step``), the
cache update (``cache``) and what a read leaves (``state``)."""

from .cache import best_within
from .loop import ProgressCallback, Reader, ReadSettings
from .state import ReadState

__all__ = ["ProgressCallback", "ReadSettings", "ReadState", "Reader", "best_within"]
