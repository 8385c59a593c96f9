"""Files flushed to disk just after they were renamed into place, by a thread of
this process, off the request's path.

Posted rows (a run's input sent as JSON) are a user's data, so they are
flushed to disk; but a flush costs 5-6 ms on a plain disk, half of a whole
submission, and the file is complete under its final name once renamed (read
from the page cache meanwhile). A power cut in the milliseconds before the
flush may lose the file: the run then fails saying its input is gone, and the
same rows posted again store it again. The file and then its folder (the
rename) are flushed; ``flushes_wait`` waits for every flush asked so far.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque

logger = logging.getLogger(__name__)


class _Flusher:
    """One thread per process, started at the first file; the paths it owes."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.done = threading.Condition()
        self.paths: deque[str] = deque()
        self.busy = 0
        self.thread: threading.Thread | None = None

    def add(self, path: str) -> None:
        with self.done:
            self.paths.append(path)
            self.busy += 1
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._loop, name="catena-flush", daemon=True
                )
                self.thread.start()
            self.done.notify_all()

    def wait(self, timeout: float) -> bool:
        with self.done:
            return self.done.wait_for(lambda: self.busy == 0, timeout)

    def _loop(self) -> None:
        while True:
            with self.done:
                self.done.wait_for(lambda: bool(self.paths))
                path = self.paths.popleft()
            try:
                _flush(path)
            except OSError as exc:
                # Gone (forgotten, replaced) or the disk failed: nothing to
                # answer to; the file is checked (size, sha256) before use.
                logger.warning("could not flush %s to disk: %s", path, exc)
            finally:
                with self.done:
                    self.busy -= 1
                    self.done.notify_all()


def _flush(path: str) -> None:
    for target, flags in ((path, os.O_RDONLY), (os.path.dirname(path), os.O_RDONLY)):
        fd = os.open(target, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_flusher = _Flusher()


def _here() -> _Flusher:
    global _flusher
    if _flusher.owner != os.getpid():
        # A forked process (a worker's pool) has no thread of its parent's.
        _flusher = _Flusher()
    return _flusher


def flush_soon(path: str) -> None:
    """Flush the file at ``path`` (a local path) and its folder to disk soon."""
    _here().add(path)


def flushes_wait(timeout: float = 30.0) -> bool:
    """Wait for every flush asked of this process so far; False on timeout."""
    return _here().wait(timeout)
