"""InfiniRetri: answers over documents far longer than the model's window, by the model's own
attention (Ye, Wang, Wang, 2025). Framework-agnostic; adapters live in
``infiniretri_integrations``."""

from . import evidence_html  # noqa: F401  # fills the hook behind Selection/Answer.to_html
from .cancel import CancelToken, cancel_scope
from .config import DEFAULT_PROMPT, InfiniRetriConfig
from .document import DocumentInput
from .engine import InfiniRetri
from .engine_options import EngineOptions
from .errors import (
    Cancelled,
    ConfigError,
    DocumentTooLong,
    InfiniRetriError,
    InputError,
    ModelError,
)
from .reading import ProgressCallback
from .stream import AnswerStream
from .types import Answer, Evidence, Progress, Selection, Sentence

__all__ = [
    "DEFAULT_PROMPT",
    "Answer",
    "AnswerStream",
    "CancelToken",
    "Cancelled",
    "ConfigError",
    "DocumentInput",
    "DocumentTooLong",
    "EngineOptions",
    "Evidence",
    "InfiniRetri",
    "InfiniRetriConfig",
    "InfiniRetriError",
    "InputError",
    "ModelError",
    "Progress",
    "ProgressCallback",
    "Selection",
    "Sentence",
    "cancel_scope",
]
__version__ = "0.1.0"
