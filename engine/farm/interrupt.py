"""Ctrl-C during a farm job, taken at a safe point.

Python raises KeyboardInterrupt wherever the main thread happens to be when SIGINT arrives, which inside Dask's
client can be halfway through a call into its event-loop thread. CI once saw an interrupted client still running
60 s later (not reproduced here in 20 interrupts at random moments; an exception inside the client is the suspect).
So while a farm job waits for its chunks, the first Ctrl-C only sets a flag; the wait loop checks it, cancels the
chunks and raises KeyboardInterrupt from its own code. A second Ctrl-C raises at once, as usual.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["deferred_interrupt"]


@contextmanager
def deferred_interrupt() -> Iterator[threading.Event]:
    """Yields an event that the first SIGINT sets (instead of raising KeyboardInterrupt) while inside.

    Nothing changes outside the main thread (signals reach only it) or when SIGINT is not Python's default
    handler (ignored, as in background shell jobs, or the caller's own): the event is then never set by a signal.
    """
    interrupted = threading.Event()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield interrupted
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        interrupted.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C is not deferred

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
