"""A bare Celery app for bench/broker.py: one task that hops to the next.

No Django here: the benchmark measures the broker alone. The transport comes from
the BENCH_BROKER_URL and BENCH_BROKER_DIR environment variables.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import Celery

BROKER_URL = os.environ.get("BENCH_BROKER_URL", "filesystem://")
BROKER_DIR = Path(os.environ.get("BENCH_BROKER_DIR", "var/bench-broker"))
POLL = float(os.environ.get("BENCH_POLL_SECONDS", "0.01"))
#: Catena's own filesystem transport ("runner.broker:FilesystemTransport"), or
#: kombu's when unset.
TRANSPORT = os.environ.get("BENCH_BROKER_TRANSPORT") or None

app = Celery("bench_broker", broker=BROKER_URL)
if TRANSPORT:
    app.conf.broker_transport = TRANSPORT
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    broker_transport_options=(
        {
            "data_folder_in": str(BROKER_DIR / "queue"),
            "data_folder_out": str(BROKER_DIR / "queue"),
            "control_folder": str(BROKER_DIR / "control"),
            "store_processed": False,
            "polling_interval": POLL,
        }
        if BROKER_URL.startswith("filesystem")
        else {"polling_interval": POLL}
    ),
)


@app.task(name="bench.hop")
def hop(log_path: str, remaining: int) -> None:
    """Append the time this hop started, then enqueue the next one."""
    with open(log_path, "a") as log:
        log.write(f"{time.time()}\n")
    if remaining > 1:
        hop.delay(log_path, remaining - 1)
