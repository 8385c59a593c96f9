"""Real WSGI requests to the whole Django stack, counting the body bytes read."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string


class CountingInput(io.BytesIO):
    """A request body that remembers how much of it the server read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


@dataclass
class Answer:
    status: int
    body: bytes
    bytes_read: int


@contextmanager
def connection_kept() -> Iterator[None]:
    """As django.test.Client does: the test's transaction outlives each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def session_cookies(user: Any) -> dict[str, str]:
    """A logged-in session and a CSRF secret, as a browser would hold them."""
    client = Client()
    client.force_login(user)
    return {
        "sessionid": client.cookies["sessionid"].value,
        "csrftoken": get_random_string(32),
    }


def wsgi_post(path: str, body: bytes, content_type: str, user: Any) -> Answer:
    cookies = session_cookies(user)
    stream = CountingInput(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "HTTP_X_CSRFTOKEN": cookies["csrftoken"],
        "wsgi.input": stream,
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    started: dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        started["status"] = int(status.split()[0])

    with connection_kept():
        chunks = WSGIHandler()(environ, start_response)
        content = b"".join(chunks)
        chunks.close()
    return Answer(started["status"], content, stream.bytes_read)
