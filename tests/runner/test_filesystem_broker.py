"""The embedded broker (kombu's filesystem transport, ``runner.broker``): a
message appears whole, and a waiting consumer is woken by it (inotify) instead
of sleeping out its poll interval."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from kombu import Connection
from kombu.transport.virtual import base as virtual_base

from runner import broker

TRANSPORT = "runner.broker:FilesystemTransport"


def connection(folder: Any, poll: float) -> Connection:
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": poll,
    }
    return Connection("filesystem://", transport=TRANSPORT, transport_options=options)


def queue_name() -> str:
    """A queue of its own: kombu keeps the queues a process declared once per
    transport class, whatever the folder, so a name reused with another
    folder would not be declared there."""
    return f"jobs-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """kombu's own pauses between looks at the folder, recorded, not slept."""
    taken: list[float] = []
    monkeypatch.setattr(virtual_base, "sleep", taken.append)
    return taken


def test_a_waiting_consumer_is_woken_by_a_message_not_by_its_poll(
    tmp_path, monkeypatch, sleeps
):
    waiting, woken = threading.Event(), []
    wait = broker.FolderWatch.wait

    def spied(self: broker.FolderWatch, seconds: float) -> bool:
        waiting.set()
        found = wait(self, seconds)
        woken.append((seconds, found))
        return found

    monkeypatch.setattr(broker.FolderWatch, "wait", spied)
    name = queue_name()

    def send() -> None:
        waiting.wait(timeout=30)
        with connection(tmp_path, poll=60) as producer:
            producer.SimpleQueue(name).put({"n": 1})

    sender = threading.Thread(target=send)
    with connection(tmp_path, poll=60) as consumer:
        jobs = consumer.SimpleQueue(name)
        sender.start()
        message = jobs.get(timeout=30)
        message.ack()
    sender.join()
    assert message.payload == {"n": 1}
    # It waited on the folder (for up to its 60 s poll, within the get's 30 s)
    # and the message's arrival woke it; kombu's sleep never ran.
    assert woken
    assert woken[-1][1] is True
    assert all(seconds <= 30 for seconds, _ in woken)
    assert sleeps == []


def test_without_a_watch_the_consumer_polls_as_kombu_does(
    tmp_path, monkeypatch, sleeps
):
    def refused(self: Any, folder: str) -> None:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(broker.FolderWatch, "__init__", refused)
    with connection(tmp_path, poll=0.01) as consumer:
        jobs = consumer.SimpleQueue(queue_name())
        with pytest.raises(jobs.Empty):
            jobs.get(timeout=0.05)
        jobs.put({"n": 2})
        assert jobs.get(timeout=5).payload == {"n": 2}
    assert sleeps  # kombu's loop, with its pauses


def test_a_partly_written_message_is_not_taken(tmp_path):
    name = queue_name()
    with connection(tmp_path, poll=0.01) as consumer:
        jobs = consumer.SimpleQueue(name)
        (tmp_path / f"1_x.{name}.msg.part").write_text('{"body": ')
        with pytest.raises(jobs.Empty):
            jobs.get(timeout=0.05)
        jobs.put({"n": 3})
        assert jobs.get(timeout=5).payload == {"n": 3}
