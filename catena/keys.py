"""Cache keys: equal key, equal output.

A node's key is the sha256 of its kind, its canonical params (without the
params its kind lists in ``KEY_EXCLUDE``), the sha256 of the model version it
resolved to, and the keys of its parents in edge order. With several parents
the parents' ids go in too, because fan-in column names carry them. An input
node's key comes from the hash of the run's data instead of parents. Layout and
node ids (of single-parent chains) never matter, so equal work is shared
across chains.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd

from catena import steps
from catena.graph import Graph, Node, canonical_json
from catena.resolving import ResolvedModel

#: Bump to invalidate every stored artifact when key semantics change.
KEY_VERSION = 1


def data_hash(df: pd.DataFrame) -> str:
    """Return a sha256 of a table: column names, dtypes, index and values.

    Stable across processes and Python runs (it does not use ``hash()``).

    Parameters
    ----------
    df : pandas.DataFrame
        Any table.

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0]})
    >>> data_hash(a) == data_hash(a.copy()), data_hash(a) == data_hash(a[::-1])
    (True, False)
    """
    header = canonical_json(
        [[str(c), str(t)] for c, t in zip(df.columns, df.dtypes, strict=True)]
    )
    digest = hashlib.sha256(header.encode())
    digest.update(str(len(df)).encode())
    digest.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def node_keys(
    graph: Graph,
    resolved: Mapping[str, ResolvedModel],
    data_hash: str,
    among: Collection[str] | None = None,
) -> dict[str, str]:
    """Return every node's cache key.

    Parameters
    ----------
    graph : Graph
        A loaded, acyclic graph.
    resolved : Mapping of str to ResolvedModel
        The resolved model of each model node (``Report.resolved``).
    data_hash : str
        :func:`data_hash` of the run's input table.
    among : collection of str, optional
        Key only these nodes (closed under ancestors).

    Returns
    -------
    dict of str to str
        Node id to key (64 hex digits), in topological order.

    Raises
    ------
    GraphCycleError
        When the graph has a cycle.
    KeyError
        When a model node has no entry in ``resolved``.

    Examples
    --------
    >>> from catena.graph import load
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "in", "kind": "input", "params": {"schema": [["x", "float"]]}},
    ...     {"id": "out", "kind": "output"}], "edges": [["in", "out"]]})
    >>> keys = node_keys(g, {}, "0" * 64)
    >>> list(keys), keys == node_keys(g, {}, "1" * 64)
    (['in', 'out'], False)
    """
    keys: dict[str, str] = {}
    for node_id in graph.order:
        if among is None or node_id in among:
            parents = graph.parents[node_id]
            keys[node_id] = _key(
                graph.nodes[node_id], parents, keys, resolved, data_hash
            )
    return keys


def _key(
    node: Node,
    parents: tuple[str, ...],
    keys: Mapping[str, str],
    resolved: Mapping[str, ResolvedModel],
    data: str,
) -> str:
    step = steps.get(node.kind)
    payload: dict[str, Any] = {
        "v": KEY_VERSION,
        "kind": node.kind,
        "params": node.params.model_dump(
            mode="json", by_alias=True, exclude=set(step.KEY_EXCLUDE)
        ),
        "model": _model_sha(node, resolved),
        "inputs": _inputs(parents, keys) if node.kind != "input" else [],
        "data": data if node.kind == "input" else None,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def _model_sha(node: Node, resolved: Mapping[str, ResolvedModel]) -> str | None:
    if node.kind != "model":
        return None
    if node.id not in resolved:
        raise KeyError(f"model node {node.id!r} has no resolved model")
    return resolved[node.id].sha256


def _inputs(parents: tuple[str, ...], keys: Mapping[str, str]) -> list[Any]:
    if len(parents) == 1:
        return [keys[parents[0]]]
    return [[parent, keys[parent]] for parent in parents]
