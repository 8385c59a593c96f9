"""A real HTTP proxy in front of the live server that misbehaves on request.

It stands for what sits between a notebook and Catena in real life (a load
balancer answering 503 while the app restarts, a connection cut mid-answer):
``plan(method, path, n)`` decides for the n-th request (from 1) whether it is
passed on (``"pass"``), answered 503 (``"503"``), cut before it reaches the
server (``"drop"``) or passed on and its answer cut (``"lose-answer"``).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Plan = Callable[[str, str, int], str]
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class Proxy:
    def __init__(self, upstream: str, plan: Plan, port: int = 0) -> None:
        self.upstream = urlsplit(upstream)
        self.plan = plan
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, path_start: str = "/") -> int:
        return sum(
            1 for m, p, _ in self.seen if m == method and p.startswith(path_start)
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else b""
                with proxy.lock:
                    proxy.seen.append((self.command, self.path, dict(self.headers)))
                    n = len(proxy.seen)
                what = proxy.plan(self.command, self.path, n)
                if what == "drop":
                    self.close_connection = True
                    return
                if what == "503":
                    self._answer(503, [("Content-Type", "text/plain")], b"restarting")
                    return
                status, headers, answer = proxy._forward(
                    self.command, self.path, dict(self.headers), body
                )
                if what == "lose-answer":
                    self.close_connection = True
                    return
                self._answer(status, headers, answer)

            def _answer(
                self, status: int, headers: list[tuple[str, str]], body: bytes
            ) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        return Handler

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=60
        )
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in HOP}
            sent["Content-Length"] = str(len(body))
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()
