"""The logged chains of bench/serve.py: what the prediction log and a shadow cost.

``sales-logged`` is ``sales-stacked`` with every request logged (one INSERT per
request); ``sales-shadow`` also runs an identical version 2 as a shadow on every
request, in the shadow pool after the answer (logged and compared).
"""

from __future__ import annotations

from typing import Any

URLS = {
    "catena-logged": "/api/chains/sales-logged/predict",
    "catena-shadow": "/api/chains/sales-shadow/predict",
}


def logged_chains_install(*, user: Any) -> None:
    from builder.models import ChainVersion
    from builder.services import chain_create, chain_live_set, chain_version_save
    from serving.setup import serving_set

    document = ChainVersion.objects.get(chain__name="sales-stacked", number=1).document
    for name, shadows in (("sales-logged", []), ("sales-shadow", [2])):
        chain = chain_create(name=name, owner=user)
        chain_version_save(chain=chain, document=document, user=user)
        moved = document | {"layout": {"out": [999, 999]}}  # v2: the same graph
        chain_version_save(chain=chain, document=moved, user=user)
        chain = chain_live_set(chain=chain, number=1, user=user)
        log = {"enabled": True, "rate": 1.0}
        serving_set(chain=chain, user=user, log=log, variants={"shadows": shadows})
