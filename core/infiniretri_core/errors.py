"""One exception hierarchy, so callers can catch everything we raise with one clause.

``InfiniRetriError``
 - ``ConfigError`` (also a ``ValueError``): a hyper-parameter out of range or inconsistent
   with the model or the prompt.
 - ``InputError`` (also a ``ValueError``): the document or question cannot be read.
    - ``DocumentTooLong``: over ``max_document_tokens``.
 - ``ModelError`` (also a ``RuntimeError``): the model cannot be loaded, or its attention
   cannot be captured.
 - ``Cancelled``: the caller cancelled the call (between two chunks, or while writing).
"""

from __future__ import annotations


class InfiniRetriError(Exception):
    """Base class of every error raised on purpose by infiniretri."""


class ConfigError(InfiniRetriError, ValueError):
    """A hyper-parameter is out of range or inconsistent with the model."""


class InputError(InfiniRetriError, ValueError):
    """The document or the question cannot be read (wrong type, empty, too long)."""


class DocumentTooLong(InputError):
    """The document has more tokens than ``max_document_tokens`` allows."""


class ModelError(InfiniRetriError, RuntimeError):
    """The model cannot be loaded, or its attention cannot be captured."""


class Cancelled(InfiniRetriError):
    """The call was cancelled; the engine is free and unchanged for the next call."""
