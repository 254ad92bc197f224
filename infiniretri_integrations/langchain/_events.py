"""Reading progress as LangChain custom events (``astream_events`` / callback handlers).

The engine reports after every chunk; these turn that into ``on_custom_event`` calls on the
child callback manager of the current run, as ``dispatch_custom_event`` would from inside it,
but safely from the worker thread that async calls read in.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from infiniretri_core import Progress, ProgressCallback
from langchain_core.callbacks import AsyncCallbackManager, CallbackManager

from .._threads import reporter_on_loop

PROGRESS_EVENT = "infiniretri_progress"
"""Name of the custom event sent after each chunk; its data are the fields of ``Progress``."""


def progress_reporter(manager: CallbackManager | None) -> ProgressCallback | None:
    if manager is None or manager.parent_run_id is None or not manager.handlers:
        return None
    run_id = manager.parent_run_id

    def report(progress: Progress) -> None:
        manager.on_custom_event(PROGRESS_EVENT, asdict(progress), run_id=run_id)

    return report


def async_progress_reporter(manager: AsyncCallbackManager | None) -> ProgressCallback | None:
    """For a read running in a worker thread while the event loop waits for it."""
    if manager is None or manager.parent_run_id is None or not manager.handlers:
        return None
    run_id = manager.parent_run_id
    loop = asyncio.get_running_loop()

    def send(progress: Progress) -> Any:
        return manager.on_custom_event(PROGRESS_EVENT, asdict(progress), run_id=run_id)

    return reporter_on_loop(loop, send)
