"""Overlapping the stages of a file-to-file run: decoding ahead and encoding behind the network, on threads.

The network pass keeps the cores busy only part of each frame's time; decoding the next frame and encoding the
previous one (PyAV, OpenCV and ONNX Runtime release the GIL while they work) fill the gaps. Each stage hands frames
on through a bounded queue, one thread per stage, so frames keep their order and memory stays bounded: the output is
the same bytes as a serial run's (tests/engine/test_overlap.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["ReadAhead", "WriteBehind", "queue_depth"]

T = TypeVar("T")

#: seconds a blocked hand-over waits before checking whether the other side stopped
_POLL = 0.1
#: bytes of frames a queue may hold: four 1080p frames, one 4K frame (memory at 4K is the tight budget)
_QUEUE_BYTES = 32 * 2**20


def queue_depth(width: int, height: int, max_depth: int = 4) -> int:
    """Frames a hand-over queue holds for RGB frames of this size: up to ``max_depth``, at least 1."""
    return max(1, min(max_depth, _QUEUE_BYTES // max(1, width * height * 3)))


class _End:
    """Marks the end of a stream in a queue."""


class _Failed:
    """Carries a stage's exception through a queue."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class ReadAhead(Iterator[T], Generic[T]):
    """Iterate ``source`` on a background thread, at most ``depth`` items ahead of the consumer.

    An exception raised by ``source`` is raised by ``next()`` at the position where it happened. Call :meth:`close`
    (or use as a context manager) when stopping early: it stops the thread; ``source`` is left for its owner to
    close.
    """

    def __init__(self, source: Iterable[T], depth: int = 4) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(iter(source),), name="toonflow-read", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterator[T]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(_Failed(exc))
            return
        self._put(_End())

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if isinstance(item, _End):
            self._done = True
            raise StopIteration
        if isinstance(item, _Failed):
            self._done = True
            raise item.error
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop reading ahead and wait for the thread."""
        self._stop.set()
        self._done = True
        self._thread.join()

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class WriteBehind(Generic[T]):
    """Call ``write`` for each item on a background thread, in order, at most ``depth`` items behind.

    An exception raised by ``write`` is raised by the next :meth:`put` or by :meth:`finish`. Use as a context
    manager: leaving normally waits for every item to be written; leaving with an exception stops the thread.
    """

    def __init__(self, write: Callable[[T], None], depth: int = 4) -> None:
        self._write = write
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="toonflow-write", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=_POLL)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if isinstance(item, _End) or self._stop.is_set():
                return
            try:
                self._write(item)  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - raised on the caller's thread
                self._error = exc
                self._stop.set()
                return

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def put(self, item: T) -> None:
        """Queue ``item`` for writing (blocks while ``depth`` items wait)."""
        while True:
            self._raise_error()
            if self._stop.is_set():
                raise RuntimeError("the writer thread has stopped")
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """Wait until every queued item is written; raises the writer's error, if any."""
        while self._thread.is_alive():
            try:
                self._queue.put(_End(), timeout=_POLL)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._raise_error()

    def abort(self) -> None:
        """Stop without writing what is still queued."""
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> WriteBehind[T]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_rest: object) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()
