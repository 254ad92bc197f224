"""What a batch job is given: an engine factory and the Ray mode's options.

Its own module so that ``job`` (which picks the mode) and ``ray_job`` (the Ray mode) both
import it, and neither imports the other for its types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine import InfiniRetri
from ..errors import ConfigError

EngineFactory = Callable[[], InfiniRetri]


@dataclass(frozen=True)
class EngineSpec:
    """A picklable engine factory: what a worker needs to load its own engine (a model id or
    path, never the weights), so a cluster ships a few bytes per worker, not a model."""

    model: str | None = None
    dtype: str = "auto"
    options: Mapping[str, Any] = field(default_factory=dict)
    device: str = "auto"
    """Resolved on the worker: a Ray GPU worker takes its GPU, a CPU worker its CPU."""

    def __call__(self) -> InfiniRetri:
        return InfiniRetri.from_pretrained(
            self.model, dtype=self.dtype, device=self.device, **dict(self.options)
        )


@dataclass(frozen=True)
class RayOptions:
    """The Ray mode: ``address=None`` starts a local cluster (``ray.init()``); otherwise
    that cluster (``"auto"``, ``"ray://host:10001"``)."""

    address: str | None = None
    workers: int = 2
    """Actors, each with its own engine (``map_batches(concurrency=...)``)."""
    cpus_per_worker: float = 1.0
    """``num_cpus`` per actor; torch gets as many threads."""
    max_restarts: int = 3
    """A dead actor is restarted this often (Ray's ``max_restarts``) ..."""
    max_task_retries: int = 3
    """... and its unfinished documents retried (Ray's ``max_task_retries``)."""

    def __post_init__(self) -> None:
        if self.workers < 1 or self.cpus_per_worker <= 0:
            raise ConfigError("Ray workers and cpus_per_worker must be positive")
        if self.max_restarts < 0 or self.max_task_retries < 0:
            raise ConfigError("max_restarts and max_task_retries must be >= 0")
