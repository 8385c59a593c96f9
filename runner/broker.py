"""kombu's filesystem transport, with each message written atomically.

kombu (5.x) creates a message file, then locks it (an advisory lock the reader
ignores), then writes it; a worker polling the folder at that instant moves the
empty file away, fails to parse it and stops with "Unrecoverable error:
JSONDecodeError". Writing to a name the reader skips and renaming it into place
(atomic on one filesystem) makes a message visible only once it is whole.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from time import monotonic
from typing import Any, cast

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps

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


class FilesystemTransport(filesystem.Transport):
    Channel = Channel
