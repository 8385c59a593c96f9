"""Hosts made of Linux network namespaces, joined by a bridge (iproute2).

Each host is a namespace with a veth pair to a bridge in the root namespace,
which carries the shared services (PostgreSQL, Redis, SeaweedFS) on the
bridge's address. A host's processes run under ``unshare --uts`` with the
host's own hostname, so a worker records where it ran. Needs root.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@dataclass
class Host:
    """One namespace: its name, address, hostname and the processes it runs."""

    name: str
    namespace: str
    address: str
    link: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside this host, under its own hostname."""
        script = f'hostname {self.name} && exec "$@"'
        return [
            "ip", "netns", "exec", self.namespace,
            "unshare", "--uts", "--", "sh", "-c", script, "sh", *argv,
        ]  # fmt: skip

    def run(self, argv: Sequence[str], env: dict[str, str], cwd: Path) -> str:
        done = subprocess.run(
            self.command(argv), env=env, cwd=cwd, capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{self.name}: {' '.join(argv)} failed:\n"
                f"{done.stdout.decode()}\n{done.stderr.decode()}"
            )
        return done.stdout.decode()

    def start(
        self, argv: Sequence[str], env: dict[str, str], cwd: Path, log: Path
    ) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            process = subprocess.Popen(
                self.command(argv),
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def pids(self) -> list[int]:
        """Every process in this host's namespace."""
        done = subprocess.run(
            ["ip", "netns", "pids", self.namespace], capture_output=True, check=False
        )
        return [int(p) for p in done.stdout.split()]

    def signal_all(self, signum: int) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def lose(self) -> None:
        """Kill every process of the host at once, then take its link down."""
        self.signal_all(signal.SIGKILL)
        ip("link", "set", self.link, "down")
        for process in self.processes:
            process.wait()

    def stop(self) -> None:
        """Stop every process of the host (politely first)."""
        self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + 15
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.signal_all(signal.SIGKILL)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)


@dataclass
class Network:
    """The bridge's address (where the services listen) and the hosts."""

    gateway: str
    hosts: dict[str, Host]


def iproute2_check() -> None:
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        raise RuntimeError(
            "iproute2 (ip) and util-linux (unshare) are needed for the several-host "
            "test: apt-get install -y iproute2 util-linux (python3 dev.py setup)"
        )
    if os.geteuid() != 0:
        raise RuntimeError("the several-host test makes network namespaces: needs root")


@contextlib.contextmanager
def network(names: Sequence[str]) -> Iterator[Network]:
    """A bridge and one namespace per name, removed at the end."""
    iproute2_check()
    tag = uuid.uuid4().hex[:6]
    subnet = f"10.{random.randint(100, 250)}.{random.randint(0, 250)}"
    bridge = f"cbr{tag}"
    hosts: dict[str, Host] = {}
    try:
        ip("link", "add", bridge, "type", "bridge")
        ip("addr", "add", f"{subnet}.1/24", "dev", bridge)
        ip("link", "set", bridge, "up")
        for number, name in enumerate(names, start=2):
            hosts[name] = _host_make(name, tag, subnet, number, bridge)
        yield Network(gateway=f"{subnet}.1", hosts=hosts)
    finally:
        for host in hosts.values():
            host.stop()
            subprocess.run(["ip", "netns", "del", host.namespace], check=False)
            # A veth whose peer's namespace is gone lingers while it is down.
            subprocess.run(
                ["ip", "link", "del", host.link], check=False, capture_output=True
            )
        subprocess.run(["ip", "link", "del", bridge], check=False)


def _host_make(name: str, tag: str, subnet: str, number: int, bridge: str) -> Host:
    namespace = f"catena-{tag}-{name}"
    outside, inside = f"cv{tag}{number}", f"ci{tag}{number}"
    ip("netns", "add", namespace)
    ip("link", "add", outside, "type", "veth", "peer", "name", inside)
    ip("link", "set", inside, "netns", namespace)
    ip("link", "set", outside, "master", bridge)
    ip("link", "set", outside, "up")
    ip("-n", namespace, "addr", "add", f"{subnet}.{number}/24", "dev", inside)
    ip("-n", namespace, "link", "set", inside, "up")
    ip("-n", namespace, "link", "set", "lo", "up")
    return Host(
        name=name, namespace=namespace, address=f"{subnet}.{number}", link=outside
    )
