"""PostgreSQL and Redis of the test's own, listening on the bridge's address.

The machine's PostgreSQL and Redis listen on 127.0.0.1 only, which another
network namespace cannot reach; these listen where the hosts can. PostgreSQL
refuses to run as root, so it runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import glob
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.store.seaweed import free_port


def _postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
        None,
    )
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: install postgresql")
    return found


def wait_port(address: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((address, port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {address}:{port}")


@contextlib.contextmanager
def postgres_server(address: str) -> Iterator[str]:
    """A throwaway cluster on ``address``; yields its ``DATABASE_URL``."""
    folder = Path(tempfile.mkdtemp(prefix="catena-pg-", dir="/tmp"))
    shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port(address)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, _postgres_bin("initdb"), "-D", str(data), "-A", "trust"],
        check=True,
        capture_output=True,
    )
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {address.rsplit('.', 1)[0]}.0/24 trust\n")
    command = [*as_postgres, _postgres_bin("postgres"), "-D", str(data)]
    command += ["-c", f"listen_addresses={address}", "-p", str(port)]
    command += ["-k", str(folder), "-c", "fsync=off", "-c", "max_connections=200"]
    log = open(folder / "postgres.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(address, port)
        yield f"postgres://postgres@{address}:{port}/postgres"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server(address: str) -> Iterator[str]:
    """A redis-server on ``address`` without persistence; yields its URL."""
    port = free_port(address)
    command = ["redis-server", "--bind", address, "--port", str(port)]
    command += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(address, port)
        yield f"redis://{address}:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
