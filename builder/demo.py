"""Demo chains built from the registry's demo models (``registry.demo``).

``demo_chains_install`` saves the stacked sales chain (the reference chain of
``catena/reference.py``) and a voting chain of the iris classifiers. A
chain that already exists is left as it is, so a re-run changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from builder import services
from builder.drawing import layered_layout
from builder.models import Chain
from registry.models import RegisteredModel

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IRIS_MODELS = {"logreg": "iris-logreg", "tree": "iris-tree", "nb": "iris-nb"}


def sales_stacked_document() -> dict[str, Any]:
    """The reference chain, each model pinned to its ``@production`` alias."""
    from catena.reference import reference_doc

    document = reference_doc()
    for node in document["nodes"]:
        if node["kind"] == "model":
            node["params"] = {**node["params"], "version": "@production"}
    # The reference's one-row layout hides the fan-out; lay it out in layers.
    ids = [node["id"] for node in document["nodes"]]
    points = layered_layout(ids, [(a, b) for a, b in document["edges"]])
    document["layout"] = {n: [40 + x, 40 + y] for n, (x, y) in points.items()}
    return document


def sales_optimize_document() -> dict[str, Any]:
    """The sales chain, then the price that maximises revenue (@production)."""
    from catena.reference_optimize import optimize_doc

    document = optimize_doc(version="@production")
    for node in document["nodes"]:
        if node["kind"] == "model":
            node["params"] = {**node["params"], "version": "@production"}
    ids = [node["id"] for node in document["nodes"]]
    points = layered_layout(ids, [(a, b) for a, b in document["edges"]])
    document["layout"] = {n: [40 + x, 40 + y] for n, (x, y) in points.items()}
    return document


def iris_vote_document() -> dict[str, Any]:
    """Three iris classifiers on the same input, joined by a majority vote."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "in",
            "kind": "input",
            "params": {"schema": [[name, "float"] for name in IRIS_FEATURES]},
        }
    ]
    nodes += [
        {
            "id": node_id,
            "kind": "model",
            "params": {"model": name, "version": "@production", "method": "predict"},
        }
        for node_id, name in IRIS_MODELS.items()
    ]
    nodes += [
        {
            "id": "vote",
            "kind": "combine",
            "params": {"method": "vote", "name": "species"},
        },
        {"id": "out", "kind": "output", "params": {}},
    ]
    edges = [["in", m] for m in IRIS_MODELS] + [[m, "vote"] for m in IRIS_MODELS]
    edges.append(["vote", "out"])
    layout = {"in": [40, 160], "vote": [520, 160], "out": [760, 160]}
    layout |= {m: [280, 40 + 120 * i] for i, m in enumerate(IRIS_MODELS)}
    return {
        "format": "catena.chain/1",
        "nodes": nodes,
        "edges": edges,
        "layout": layout,
    }


DEMO_CHAINS = (
    (
        "sales-stacked",
        "Sales: stacked regressors",
        "Encoder -> scaler -> ridge, forest and boosting -> linear stacker. "
        "Run it on the demo sales data set.",
        sales_stacked_document,
    ),
    (
        "sales-optimize",
        "Sales: the price that maximises revenue",
        "The stacked sales chain, then an optimize node: for each row, the price "
        "(0.5x to 1.5x the current one, at least the unit cost) that maximises "
        "(price - unit_cost) x predicted sales. Run it on demo-sales-costs.",
        sales_optimize_document,
    ),
    (
        "iris-vote",
        "Iris: majority vote of three classifiers",
        "Logistic regression, a decision tree and naive Bayes vote on the species.",
        iris_vote_document,
    ),
)


def demo_chains_install(*, user: Any) -> str:
    """Save each demo chain once; missing demo models or an existing chain skip it."""
    added = [
        name
        for name, title, description, make in DEMO_CHAINS
        if _install(name, title, description, make, user=user)
    ]
    if not added:
        return (
            "Demo chains: already installed (or demo models missing), nothing changed."
        )
    return f"Demo chains: saved {', '.join(added)}."


@transaction.atomic
def _install(name: str, title: str, description: str, make: Any, *, user: Any) -> bool:
    if Chain.objects.filter(name=name).exists():
        return False
    document = make()
    needed = {n["params"]["model"] for n in document["nodes"] if n["kind"] == "model"}
    needed |= {
        n["params"]["predictor"]["model"]
        for n in document["nodes"]
        if n["kind"] == "optimize"
    }
    if RegisteredModel.objects.filter(name__in=needed).count() < len(needed):
        return False
    chain = services.chain_create(
        name=name, owner=user, title=title, description=description
    )
    services.chain_version_save(
        chain=chain, document=document, user=user, message="Demo chain"
    )
    return True
