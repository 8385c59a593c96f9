"""Chains, models and data sets for the runner's tests."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from builder.models import Chain, ChainVersion
from builder.resolver import version_graph
from registry.models import ModelVersion
from registry.services import (
    model_version_create,
    model_version_trust,
    registered_model_create,
)
from runner import compute, sending
from runner.claims import node as claims_node
from runner.models import Dataset
from runner.services.datasets import dataset_create_from_frame
from runner.store import recent_tables

FORMAT = "catena.chain/1"


def node(node_id: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "params": params}


def arith(node_id: str, name: str, expr: str, *keep: str) -> dict[str, Any]:
    ops: list[dict[str, Any]] = [{"op": "arith", "name": name, "expr": expr}]
    if keep:
        ops.append({"op": "select", "columns": list(keep)})
    return node(node_id, "transform", ops=ops)


def doc(nodes: list[dict[str, Any]], edges: list[list[str]]) -> dict[str, Any]:
    return {"format": FORMAT, "nodes": nodes, "edges": edges}


def linear_doc() -> dict[str, Any]:
    """in(x, y) -> plus -> out."""
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            arith("plus", "s", "x + y"),
            node("out", "output"),
        ],
        [["in", "plus"], ["plus", "out"]],
    )


def fan_doc() -> dict[str, Any]:
    """in -> (a, b) -> both (combine concat) -> out: a fan-out and a fan-in."""
    return doc(
        [
            node("in", "input", schema=[["x", "float"], ["y", "float"]]),
            arith("a", "a", "x * 2", "a"),
            arith("b", "b", "y + 1", "b"),
            node("both", "combine", method="mean", name="m"),
            node("out", "output"),
        ],
        [["in", "a"], ["in", "b"], ["a", "both"], ["b", "both"], ["both", "out"]],
    )


def chain_version_make(
    *, owner: Any, document: dict[str, Any], name: str = "chain"
) -> ChainVersion:
    chain, _ = Chain.objects.get_or_create(name=name, defaults={"owner": owner})
    number = chain.versions.count() + 1
    return ChainVersion.objects.create(
        chain=chain, number=number, document=document, hash=f"h{number}", saved_by=owner
    )


def model_make(*, name: str, estimator: Any, owner: Any, staff: Any) -> ModelVersion:
    registered = registered_model_create(name=name, owner=owner)
    upload = SimpleUploadedFile(f"{name}.pkl", pickle.dumps(estimator))
    version = model_version_create(model=registered, file=upload, uploaded_by=owner)
    return model_version_trust(version=version, user=staff)


def dataset_make(*, owner: Any, rows: int = 5, name: str = "xy") -> Dataset:
    df = pd.DataFrame({"x": [float(i) for i in range(rows)], "y": [1.0] * rows})
    return dataset_create_from_frame(name=name, df=df, owner=owner)


@pytest.fixture(autouse=True)
def _graph_cache_clear() -> Iterator[None]:
    """Test databases reuse ids after a rollback; versions never change in life."""
    compute.chain_graph.cache_clear()
    compute._expanded.cache_clear()
    compute.document_graph.cache_clear()
    version_graph.cache_clear()
    compute._resolved_models.clear()
    compute._predictor_chain.cache_clear()
    recent_tables.clear()
    yield
    compute.chain_graph.cache_clear()
    compute._expanded.cache_clear()
    compute.document_graph.cache_clear()
    recent_tables.clear()


@pytest.fixture
def media(settings, tmp_path):
    """Artifacts in a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def drain(media) -> Iterator[Callable[[], int]]:
    """Capture enqueued node ids and run them in this process, in order.

    Only the hand-off to the broker is replaced; claiming, leases, storing,
    scheduling and the hop to a successor this process claimed are the real
    code. Returns how many nodes ran (delivered or hopped to).
    """
    queue: list[int] = []
    sent: list[int] = []
    runs: list[int] = []
    node_run, segment_run = claims_node.node_run, claims_node.segment_run

    def enqueue(node_result_id: int, countdown: float | None = None) -> None:
        queue.append(node_result_id)
        sent.append(node_result_id)

    def counted(node_result: Any, **kwargs: Any) -> Any:
        runs.append(node_result.id)
        return node_run(node_result, **kwargs)

    def segment_counted(hop: Any) -> None:
        runs.extend(n.id for n in [hop.node_result, *hop.segment])
        segment_run(hop)

    def run_all() -> int:
        runs.clear()
        while queue:
            claims_node.node_execute(queue.pop(0))
        return len(runs)

    with (
        mock.patch.object(
            sending, "send_on_commit", side_effect=enqueue, autospec=True
        ),
        mock.patch.object(claims_node, "node_run", side_effect=counted),
        mock.patch.object(claims_node, "segment_run", side_effect=segment_counted),
    ):
        run_all.queue = queue  # type: ignore[attr-defined]
        run_all.runs = runs  # type: ignore[attr-defined]
        run_all.sent = sent  # type: ignore[attr-defined]
        yield run_all
