"""Small named graph documents, good and broken, for the core's tests.

Each name is a function returning a fresh document, so a test may change it.
The models they name are the ones in ``tests/catena/conftest.py``.
"""

from __future__ import annotations

from typing import Any

FORMAT = "catena.chain/1"
Doc = dict[str, Any]


def node(node_id: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "params": params}


def inp(node_id: str = "in", **columns: str) -> dict[str, Any]:
    return node(
        node_id, "input", schema=[[name, dtype] for name, dtype in columns.items()]
    )


def model(node_id: str, name: str, **params: Any) -> dict[str, Any]:
    return node(node_id, "model", model=name, **params)


def optimize(node_id: str = "opt", name: str = "m", **params: Any) -> dict[str, Any]:
    """An optimize node over model ``name``, deciding ``x`` from 3 listed values."""
    defaults: dict[str, Any] = {
        "predictor": {"model": name, "version": 1},
        "decision": "x",
        "candidates": {"kind": "list", "values": [1.0, 2.0, 3.0]},
        "objective": "x * prediction",
    }
    return node(node_id, "optimize", **{**defaults, **params})


def doc(nodes: list[dict[str, Any]], edges: list[list[str]], **extra: Any) -> Doc:
    return {"format": FORMAT, "nodes": nodes, "edges": edges, **extra}


def linear() -> Doc:
    """in(x) -> double -> out: the smallest chain with a model."""
    return doc(
        [inp(x="float"), model("double", "doubler"), node("out", "output")],
        [["in", "double"], ["double", "out"]],
        layout={"in": [0, 0], "double": [100, 0], "out": [200, 0]},
    )


def fan_in() -> Doc:
    """Two models both output 'prediction'; combine averages them."""
    return doc(
        [
            inp(x="float", a="float", b="float"),
            model("double", "doubler"),
            model("sum", "summer"),
            node("avg", "combine", method="mean", name="avg"),
            node("out", "output"),
        ],
        [
            ["in", "double"],
            ["in", "sum"],
            ["double", "avg"],
            ["sum", "avg"],
            ["avg", "out"],
        ],
    )


def cycle() -> Doc:
    """double -> t -> double closes a loop."""
    data = linear()
    data["nodes"].append(node("t", "transform", ops=[]))
    data["edges"] += [["double", "t"], ["t", "double"]]
    return data


def missing_model() -> Doc:
    data = linear()
    data["nodes"][1] = model("double", "no-such-model")
    return data


def missing_features() -> Doc:
    """summer needs a and b; the input gives only x."""
    return doc(
        [inp(x="float"), model("sum", "summer"), node("out", "output")],
        [["in", "sum"], ["sum", "out"]],
    )


def dtype_clash() -> Doc:
    """doubler needs x as float; the input declares it as str."""
    data = linear()
    data["nodes"][0] = inp(x="str")
    return data


def unreachable() -> Doc:
    data = linear()
    data["nodes"].append(node("lost", "transform", ops=[]))
    data["edges"].append(["lost", "out"])
    return data


def malformed() -> Doc:
    """One of each document mistake."""
    return {
        "format": "catena.chain/2",
        "nodes": [
            inp(x="float"),
            inp(x="float"),
            node("bad.id", "output"),
            node("m", "teleport"),
            model("p", "doubler", method="fly"),
            "not a node",
        ],
        "edges": [
            ["in", "ghost"],
            ["in", "in"],
            ["in", "m"],
            ["in", "p"],
            ["in", "p"],
            ["x"],
        ],
    }
