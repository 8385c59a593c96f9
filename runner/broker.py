"""kombu's filesystem transport, with each message written atomically, and a
consumer woken when one appears.

kombu (5.x) creates a message file, then locks it (an advisory lock the reader
ignores), then writes it; a worker polling the folder at that instant moves the
empty file away, fails to parse it and stops with "Unrecoverable error:
JSONDecodeError". Writing to a name the reader skips and renaming it into place
(atomic on one filesystem) makes a message visible only once it is whole.

kombu's consumer looks at the folder, then sleeps its polling interval (10 ms):
a message waited 5 ms on average, a run's first node among them. On Linux the
consumer here waits on the folder instead (inotify, ``inotify_simple``), woken
when a message is renamed into place, and still looks at least once per
interval (a folder on a network file system, whose remote writers inotify does
not see, is polled as before).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from queue import Empty
from time import monotonic
from typing import Any, cast

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

# kombu's JSON (it knows datetimes, UUIDs, decimals); untyped in kombu.
_dumps = cast(Callable[[Any], str], dumps)


class Channel(filesystem.Channel):
    def _put(  # type: ignore[override]
        self, queue: Any, payload: Any, **kwargs: Any
    ) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # The reader takes only names whose text after the first "." is
        # "<queue>.msg"; "<queue>.msg.part" is not one of them.
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as handle:
                handle.write(_dumps(payload).encode())
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add {final!r} to the queue") from exc


class FolderWatch:
    """Wakes its waiter when a file is renamed into, or written in, a folder."""

    def __init__(self, folder: str) -> None:
        from inotify_simple import INotify, flags

        self.owner = os.getpid()
        self.notify = INotify()
        self.notify.add_watch(folder, flags.MOVED_TO | flags.CLOSE_WRITE)

    def wait(self, seconds: float) -> bool:
        """Until something happened in the folder (True) or ``seconds`` passed."""
        return bool(self.notify.read(timeout=max(0, round(seconds * 1000))))

    def close(self) -> None:
        self.notify.close()


class FilesystemTransport(filesystem.Transport):
    Channel = Channel

    watch: FolderWatch | None = None
    #: False once a watch could not be made here (not Linux, no watches left).
    watchable = True

    def drain_events(self, connection: Any, timeout: Any = None) -> Any:  # type: ignore[override]
        """kombu's loop (``virtual.Transport.drain_events``), waiting on the
        folder between looks instead of sleeping."""
        watch = self._watch()
        if watch is None:
            super().drain_events(connection, timeout=timeout)  # type: ignore[no-untyped-call]
            return
        started = monotonic()
        interval = self.polling_interval or 0.0
        cycle: Any = self.cycle
        while True:
            try:
                cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                left = None if timeout is None else timeout - (monotonic() - started)
                if left is not None and left <= 0:
                    raise TimeoutError() from None
                watch.wait(interval if left is None else min(interval, left))

    def _watch(self) -> FolderWatch | None:
        if self.watch is not None and self.watch.owner == os.getpid():
            return self.watch
        if not self.watchable:
            return None
        client: Any = self.client
        folder = client.transport_options.get("data_folder_in")
        try:
            self.watch = FolderWatch(folder) if folder else None
        except (ImportError, OSError) as exc:
            logger.info("broker folder polled, not watched: %s", exc)
            self.watch = None
        self.watchable = self.watch is not None
        return self.watch

    def close_connection(self, connection: Any) -> None:
        if self.watch is not None and self.watch.owner == os.getpid():
            self.watch.close()
        self.watch = None
        super().close_connection(connection)  # type: ignore[no-untyped-call]
