"""A real redis-server of a test's own, to stop and start under the code tested."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.runner.test_worker_runs import wait_for
from tests.startcommand import free_port


class RedisServer:
    """A redis-server on a free port, its data (append-only, fsync'd) in a folder."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        folder.mkdir(parents=True, exist_ok=True)
        self.command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(folder), "--save", "", "--appendonly", "yes",
            "--appendfsync", "always",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        wait_for(self.answers, timeout=30)

    def answers(self) -> bool:
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        return subprocess.run(ping, capture_output=True).stdout.strip() == b"PONG"

    def pause(self) -> None:
        """Freeze the server: its port still takes connections, nothing is read."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
