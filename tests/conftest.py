"""The real embedded model, loaded (and calibrated) once per test session."""

from __future__ import annotations

import pytest
from infiniretri_core import InfiniRetri


@pytest.fixture(scope="session")
def engine() -> InfiniRetri:
    return InfiniRetri.from_pretrained()


@pytest.fixture(scope="session")
def tokenizer(engine: InfiniRetri):  # type: ignore[no-untyped-def]
    return engine.tokenizer
