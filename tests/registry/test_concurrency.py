"""Simultaneous uploads to one model, on real threads and real connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from registry import services
from registry.models import ModelVersion
from tests.factories import UserFactory
from tests.registry import files


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_simultaneous_uploads_get_different_numbers():
    owner = UserFactory(username="owner")
    model = services.registered_model_create(name="sales-ridge", owner=owner)
    data = files.ridge_bytes()
    barrier = threading.Barrier(4)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            barrier.wait()
            version = services.model_version_create(
                model=model, file=files.upload("r.skops", data), uploaded_by=owner
            )
            numbers.append(version.number)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [1, 2, 3, 4]
    assert ModelVersion.objects.filter(model=model).count() == 4
