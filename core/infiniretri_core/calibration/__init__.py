"""Calibrations of ``"auto"`` options from synthetic probes, cached per model.

``layer``: the scoring layer (:func:`calibrated_layer`); ``link_head``: the link head of
that layer (:func:`calibrated_link_head`). Both take a :class:`Probing`: the model, its tokenizer,
the prompt template, the phrase width, the probe settings (``ProbeSettings``, one place for
all of them) and a lock held around each forward pass (values, never the engine).
"""

from .layer import Calibration, calibrate, calibrated_layer
from .link_head import calibrate_link, calibrated_link_head, link_cache_path
from .probes import SETTINGS, ProbeSettings, dense_probes, filler_texts, link_probes, needle_probes
from .probing import Probing
from .store import cache_path, cached_int

__all__ = [
    "SETTINGS",
    "Calibration",
    "ProbeSettings",
    "Probing",
    "cache_path",
    "cached_int",
    "calibrate",
    "calibrate_link",
    "calibrated_layer",
    "calibrated_link_head",
    "dense_probes",
    "filler_texts",
    "link_cache_path",
    "link_probes",
    "needle_probes",
]
