"""An engine's options as one value: everything it is built from, its choices resolved.

Rebuilding an engine from its model, tokenizer and config alone loses what the config does
not hold (a user's ``scorer``) and repeats what it resolved (``layer="auto"`` and
``link_head="auto"`` calibrated again). :class:`EngineOptions` carries all of it, so
``InfiniRetri.from_options(engine.options())`` is an equal engine, in this process or, through
:meth:`EngineOptions.portable`, in a worker that loads the same weights by name.
"""

from __future__ import annotations

import base64
import dataclasses
import pickle
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import families, model_choice
from .config import InfiniRetriConfig
from .errors import ConfigError
from .local_writer import PendingWriter
from .scoring import Scorer


@dataclass(frozen=True)
class EngineOptions:
    """What ``InfiniRetri.from_options`` builds an engine from (``engine.options()``)."""

    model: Any
    tokenizer: Any
    config: InfiniRetriConfig
    scorer: Scorer | None = None
    """A user's own scorer (``InfiniRetri(..., scorer=...)``); ``None``: the config's."""
    layer: int | None = None
    """The resolved scoring layer; given, it stands for ``config.layer`` (no calibration)."""
    link_head: int | None = None
    """The resolved link head; given, it stands for ``config.link_head`` (no calibration)."""
    heads: tuple[tuple[int, int], ...] | None = None
    """The resolved heads (``heads="auto"`` calibrated); given, no calibration."""
    ranker: Any = None
    """The cascade's ranker, an engine of its own (``InfiniRetri(..., ranker=...)``)."""
    writer: Any = None
    """The engine whose model writes the answers (``InfiniRetri(..., writer=...)``)."""
    lock: threading.RLock | None = field(default=None, compare=False, repr=False)
    """The lock around the model's calls, shared by every engine built on the same model."""

    def replace(self, **changes: Any) -> EngineOptions:
        """These options with config fields changed (validated). A change of ``layer`` or
        ``heads`` resolves the layer and link head again, one of ``link_head`` the link head;
        any other change (a prompt, a budget) keeps both as resolved."""
        config = self.config.replace(**changes)
        old = self.config
        layer, head = self.layer, self.link_head
        heads = self.heads
        if (config.heads, config.null_question, config.head_cut) != (
            old.heads,
            old.null_question,
            old.head_cut,
        ):
            heads = None
        if (config.layer, config.heads) != (old.layer, old.heads) or heads != self.heads:
            layer = head = None
        if config.link_head != old.link_head:
            head = None
        return dataclasses.replace(self, config=config, layer=layer, link_head=head, heads=heads)

    def resolved(self, lock: threading.RLock) -> EngineOptions:
        """These options with the layer and link head checked against the model, calibrating
        only what is neither resolved yet nor given by index."""
        cfg = self.config
        heads = None
        if cfg.heads is not None:
            heads = self.heads or model_choice.focused_heads(self.model, self.tokenizer, cfg, lock)
            cfg = cfg.replace(heads=heads)
        if self.layer is not None and cfg.heads is None and self.scorer is None:
            cfg = cfg.replace(layer=self.layer)
        args = (self.model, self.tokenizer)
        layer = model_choice.scoring_layer(*args, cfg, lock, self.scorer)
        if self.link_head is not None and cfg.link_head is not None and layer == self.layer:
            cfg = cfg.replace(link_head=self.link_head)
        head = model_choice.link_head(*args, cfg, lock, layer)
        return dataclasses.replace(self, layer=layer, link_head=head, heads=heads, lock=lock)

    def portable(self) -> dict[str, Any]:
        """These options as JSON data for a worker process, which loads the weights by name
        (``InfiniRetri.from_portable``): the scorer travels pickled, the resolved layer and
        link head as they are, so the worker neither drops nor calibrates anything."""
        param = next(self.model.parameters())
        return {
            "model": families.model_name(self.model),
            "dtype": str(param.dtype).removeprefix("torch."),
            "device": str(param.device),
            "options": dataclasses.asdict(self.config),
            "layer": self.layer,
            "link_head": self.link_head,
            "heads": None if self.heads is None else [list(h) for h in self.heads],
            "scorer": None if self.scorer is None else _pickled(self.scorer),
            "ranker": None if self.ranker is None else self.ranker.options().portable(),
            "writer": _portable_writer(self.writer, self.ranker),
        }

    @classmethod
    def from_portable(
        cls,
        data: Mapping[str, Any],
        model: Any,
        tokenizer: Any,
        ranker: Any = None,
        writer: Any = None,
    ) -> EngineOptions:
        """The options :meth:`portable` wrote, over the ``model`` and ``tokenizer`` it names
        (and the ``ranker`` and ``writer`` built from its entries)."""
        scorer = data.get("scorer")
        return cls(
            model,
            tokenizer,
            InfiniRetriConfig().replace(**data["options"]),
            None if scorer is None else pickle.loads(base64.b64decode(scorer)),
            data.get("layer"),
            data.get("link_head"),
            None if data.get("heads") is None else tuple(tuple(h) for h in data["heads"]),
            ranker,
            writer,
        )


def _portable_writer(writer: Any, ranker: Any) -> Any:
    """The writer's portable options; ``"ranker"`` when it is the ranker (loaded once)."""
    if writer is None:
        return None
    if isinstance(writer, PendingWriter):
        return writer.portable()
    return "ranker" if writer is ranker else writer.options().portable()


def _pickled(scorer: Scorer) -> str:
    """The scorer as base64 pickle, refused where another process could not load it back."""
    kind = type(scorer)
    if kind.__module__ == "__main__":
        raise ConfigError(
            f"the scorer {kind.__name__} is defined in __main__, which a worker process cannot "
            "import: define it in a module, or run without isolation"
        )
    try:
        return base64.b64encode(pickle.dumps(scorer)).decode("ascii")
    except Exception as exc:  # pickling raises many kinds (PicklingError, TypeError, ...)
        raise ConfigError(
            f"the scorer {kind.__name__} cannot be pickled for a worker process ({exc}): "
            "make it picklable, or run without isolation"
        ) from exc
