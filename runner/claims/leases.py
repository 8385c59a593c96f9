"""Leases: a running node's claim on its worker, renewed while it computes."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from runner.models import NodeResult

logger = logging.getLogger(__name__)
Status = NodeResult.Status


class Heartbeat:
    """Keeps a running node's lease while it computes.

    One daemon thread per worker process renews, every third of the lease, the
    leases of all nodes this process is running: a node costs no thread of its
    own, and a killed process stops renewing, which is what the sweeper sees.
    """

    #: Node id -> how many holders (a node's own loop and the writer thread
    #: writing its output behind may hold it at once).
    running: Counter[int] = Counter()
    lock = threading.Lock()
    thread: threading.Thread | None = None
    pid: int | None = None

    def __init__(self, *node_result_ids: int) -> None:
        self.node_result_ids = set(node_result_ids)

    def __enter__(self) -> Heartbeat:
        with self.lock:
            Heartbeat.running.update(self.node_result_ids)
            self._thread_ensure()
        return self

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            Heartbeat.running.subtract(self.node_result_ids)
            for node_result_id in self.node_result_ids:
                if Heartbeat.running[node_result_id] <= 0:
                    del Heartbeat.running[node_result_id]

    @classmethod
    def _thread_ensure(cls) -> None:
        # A forked pool process inherits the attribute but not the thread.
        if cls.thread is not None and cls.pid == os.getpid() and cls.thread.is_alive():
            return
        cls.pid = os.getpid()
        cls.thread = threading.Thread(target=cls._beat, daemon=True, name="leases")
        cls.thread.start()

    @classmethod
    def _beat(cls) -> None:
        while True:
            seconds = settings.CATENA_NODE_LEASE_SECONDS
            time.sleep(max(seconds / 3, 0.2))
            with cls.lock:
                ids = list(cls.running)
            if ids:
                cls.renew(ids, seconds)
            else:
                # Idle: hand the connection back rather than hold it open.
                connection.close()

    @staticmethod
    def renew(ids: list[int], seconds: int) -> int:
        try:
            return NodeResult.objects.filter(id__in=ids, status=Status.RUNNING).update(
                lease_expires_at=timezone.now() + timedelta(seconds=seconds)
            )
        except Exception:  # noqa: BLE001 - a missed beat is retried next time
            logger.warning("lease renewal failed", exc_info=True)
            return 0
