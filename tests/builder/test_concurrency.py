from __future__ import annotations

import threading

import pytest
from django.db import connection

from builder import services
from builder.models import Chain, ChainVersion
from registry import services as registry_services
from tests.builder import files


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_get_distinct_numbers(owner):
    model = registry_services.registered_model_create(name="sales-ridge", owner=owner)
    for alpha in (1.0, 2.0):
        registry_services.model_version_create(
            model=model,
            file=files.upload("ridge.skops", files.ridge_bytes(alpha)),
            uploaded_by=owner,
        )
    registry_services.alias_set(model=model, alias="production", number=2, user=owner)
    chain = services.chain_create(name="sales", owner=owner)
    references = [1, 2, "@production", "@latest"]
    errors: list[BaseException] = []
    start = threading.Barrier(len(references))

    def save(reference):
        try:
            start.wait()
            services.chain_version_save(
                chain=Chain.objects.get(pk=chain.pk),
                document=files.linear(version=reference),
                user=owner,
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(r,)) for r in references]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(ChainVersion.objects.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4]
