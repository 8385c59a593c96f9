"""The Open Inference Protocol (V2) on Catena's chains: metadata and inference.

A V2 *model* is a chain; its versions are the chain's version numbers and the
default is the live one. The encoding is :mod:`catena.v2`; the rows go through
the same plans, checks and gate as Catena's own predict API.
"""

from __future__ import annotations

from typing import Any

from catena import v2
from catena.errors import ProtocolError
from config.exceptions import CatenaAppError
from serving import services
from serving.plans import Plan, plan_get

PLATFORM = "catena_chain"


def model_metadata(*, chain_name: str, number: int | None) -> dict[str, Any]:
    """``GET /v2/models/<chain>``: the chain's input and output tensors."""
    plan = plan_get(chain_name=chain_name, number=number)
    return {
        "name": chain_name,
        "versions": [str(plan.number)],
        "platform": PLATFORM,
        "inputs": v2.tensor_metadata(plan.prepared.columns),
        "outputs": v2.tensor_metadata(plan.prepared.output_columns),
    }


def model_ready(*, chain_name: str, number: int | None) -> Plan:
    """The plan, prepared (models loaded) when it was not; a 4xx when it cannot be."""
    return plan_get(chain_name=chain_name, number=number)


def infer(
    *, chain_name: str, number: int | None, body: Any, binary: bytes
) -> dict[str, Any]:
    """``POST /v2/models/<chain>/infer``: input tensors in, output tensors out."""
    columns = _decoded(body, binary)
    services.rows_count_check(body={"columns": columns})
    wanted = _requested(body)
    plan = plan_get(chain_name=chain_name, number=number)
    table = services.table_build(plan=plan, body={"columns": columns})
    done = services.prediction_run(plan=plan, table=table, extra=[])
    try:
        outputs = v2.encode_outputs(done[plan.prepared.output], wanted)
    except ProtocolError as exc:
        raise CatenaAppError(str(exc), {"outputs": wanted}) from None
    return v2.response(chain_name, str(plan.number), outputs, body.get("id"))


def _decoded(body: Any, binary: bytes) -> dict[str, list[Any]]:
    try:
        return v2.decode_inputs(body, binary)
    except ProtocolError as exc:
        raise CatenaAppError(str(exc), {"protocol": "v2"}) from None


def _requested(body: dict[str, Any]) -> list[str] | None:
    try:
        return v2.requested_outputs(body)
    except ProtocolError as exc:
        raise CatenaAppError(str(exc), {"protocol": "v2"}) from None
