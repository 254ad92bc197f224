"""What one read leaves for one question: the cache, its scores, and how it was read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..document import PreparedDocument
from ..memory import PeakRss
from ..prompt import PromptParts
from ..types import Evidence, Selection


@dataclass
class ReadState:
    doc: PreparedDocument
    parts: PromptParts
    cache: list[int]
    """Sentence ids of the cache, in document order."""
    peaks: np.ndarray
    """Each cached sentence's peak token score in the last step."""
    chunk_starts: np.ndarray
    """First sentence id of each chunk (to tell in which chunk a sentence was read)."""
    num_chunks: int
    tokens_processed: int
    seconds: float
    memory: PeakRss | None = None

    def selection(self, layer: int) -> Selection:
        """The kept sentences as evidence (offsets into the caller's text or part)."""
        doc = self.doc
        top = float(self.peaks.max()) if len(self.peaks) else 1.0
        chunk_of = np.searchsorted(self.chunk_starts, self.cache, side="right") - 1
        evidence = []
        for sid, peak, chunk in zip(self.cache, self.peaks, chunk_of, strict=True):
            start, end = doc.span(sid)
            part, local_start, local_end = doc.locate(start, end)
            evidence.append(
                Evidence(
                    doc.text[start:end],
                    local_start,
                    local_end,
                    float(peak) / top if top > 0 else 0.0,
                    int(chunk),
                    sid,
                    part,
                )
            )
        return Selection(
            evidence,
            doc.num_tokens,
            self.tokens_kept,
            self.num_chunks,
            layer,
            self.tokens_processed,
            self.seconds,
            self.memory.peak if self.memory else None,
            self.memory.start if self.memory else None,
        )

    @property
    def tokens_kept(self) -> int:
        return int(self.doc.lengths[self.cache].sum()) if self.cache else 0
