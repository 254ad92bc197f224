"""Reading: the one loop for N >= 1 questions (``loop``), its step input (``step``), the
cache update (``cache``), what a read leaves (``state``) and what an observer of its steps
sees (``events``)."""

from .cache import best_within
from .events import QuestionStep, StepCallback, StepEvent
from .loop import ProgressCallback, Reader, ReadSettings
from .state import ReadState

__all__ = [
    "ProgressCallback",
    "QuestionStep",
    "ReadSettings",
    "ReadState",
    "Reader",
    "StepCallback",
    "StepEvent",
    "best_within",
]
