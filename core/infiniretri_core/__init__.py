"""InfiniRetri: answers over documents far longer than the model's window, by the model's own
attention (Ye, Wang, Wang, 2025). Framework-agnostic; adapters live in
``infiniretri_integrations``."""

from .config import DEFAULT_PROMPT, InfiniRetriConfig
from .engine import InfiniRetri
from .errors import ConfigError, InfiniRetriError, InputError, ModelError
from .types import Answer, Evidence, Progress, Selection, Sentence

__all__ = [
    "DEFAULT_PROMPT",
    "Answer",
    "ConfigError",
    "Evidence",
    "InfiniRetri",
    "InfiniRetriConfig",
    "InfiniRetriError",
    "InputError",
    "ModelError",
    "Progress",
    "Selection",
    "Sentence",
]
__version__ = "0.1.0"
