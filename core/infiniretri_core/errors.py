"""One exception hierarchy, so callers can catch everything we raise with one clause."""

from __future__ import annotations


class InfiniRetriError(Exception):
    """Base class of every error raised on purpose by infiniretri."""


class ConfigError(InfiniRetriError, ValueError):
    """A hyper-parameter is out of range or inconsistent with the model."""


class InputError(InfiniRetriError, ValueError):
    """The document or the question cannot be read (wrong type, empty, too long)."""


class ModelError(InfiniRetriError, RuntimeError):
    """The model cannot be loaded, or its attention cannot be captured."""
