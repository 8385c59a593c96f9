"""Cache keys: equal key, equal output.

A node's key is the sha256 of its kind, its kind's ``CODE_VERSION``, its
canonical params (without the params its kind lists in ``KEY_EXCLUDE``), the
sha256 of the model version it resolved to, the environment fingerprint the
caller gives (library versions that can change an output), and the keys of its
parents in edge order. With several parents
the parents' ids go in too, because fan-in column names carry them. An input
node's key comes from the hash of the run's data instead of parents. Layout and
node ids (of single-parent chains) never matter, so equal work is shared
across chains. Of a saved chain used as a step (see :mod:`catena.chains`) only
the inner ids count, never the chain node's: its inner nodes keep the keys
they have wherever the chain is used. An inner input node fed straight by an
input node that declares each of its columns with the same dtype outputs what
it would output reading the run's data itself, so it is keyed so: the saved
chain's keys then equal its keys when it runs alone on the same data.

A *lineage* key leaves out the environment and the code versions: equal
lineage, same work, though perhaps computed with other library versions or
step code (which is how a caller explains why an earlier output was not
reused).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd

from catena import steps
from catena.chains import SEPARATOR, label
from catena.graph import Graph, Node, canonical_json
from catena.resolving import ResolvedChain, ResolvedModel
from catena.steps.input import FedParams

#: Bump to invalidate every stored artifact when key semantics change.
KEY_VERSION = 2


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
    *,
    environment: Mapping[str, str] | None = None,
    chains: Mapping[str, ResolvedChain] | None = None,
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
    environment : Mapping of str to str, optional
        What the outputs are computed with that can change them, as data
        (e.g. ``{"scikit-learn": "1.8.0", "numpy": "2.3.1"}``); part of every
        key, so outputs computed with other versions are not reused.

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
    >>> keys == node_keys(g, {}, "0" * 64, environment={"numpy": "2.3.1"})
    False
    """
    env = dict(environment or {})
    extra = {"env": env, "code": True, "chains": chains or {}}
    return _keys(graph, resolved, data_hash, among, extra)


def lineage_keys(
    graph: Graph,
    resolved: Mapping[str, ResolvedModel],
    data_hash: str,
    among: Collection[str] | None = None,
    *,
    chains: Mapping[str, ResolvedChain] | None = None,
) -> dict[str, str]:
    """Return every node's key without environment and step code versions.

    Equal lineage keys mean the same work on the same data; their cache keys
    differ only when the library versions or step code differ.

    Parameters
    ----------
    graph, resolved, data_hash, among, chains
        As for :func:`node_keys`.

    Returns
    -------
    dict of str to str
        Node id to lineage key (64 hex digits), in topological order.

    Examples
    --------
    >>> from catena.graph import load
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "in", "kind": "input", "params": {"schema": [["x", "float"]]}},
    ...     {"id": "out", "kind": "output"}], "edges": [["in", "out"]]})
    >>> lineage_keys(g, {}, "0" * 64) == node_keys(g, {}, "0" * 64)
    False
    """
    return _keys(graph, resolved, data_hash, among, {"chains": chains or {}})


def _keys(
    graph: Graph,
    resolved: Mapping[str, ResolvedModel],
    data_hash: str,
    among: Collection[str] | None,
    extra: Mapping[str, Any],
) -> dict[str, str]:
    keys: dict[str, str] = {}
    reading: set[str] = set()
    for node_id in graph.order:
        if among is None or node_id in among:
            parents = graph.parents[node_id]
            if _reads_data(graph, node_id, reading):
                reading.add(node_id)
                parents = ()
            keys[node_id] = _key(
                graph.nodes[node_id], parents, keys, resolved, data_hash, extra
            )
    return keys


def _reads_data(graph: Graph, node_id: str, reading: set[str]) -> bool:
    """True for an input node whose output is the run's data selected and cast.

    That is an input node without parents, or one fed by such a node alone
    which declares every column of this one with the same dtype (and no
    renaming mapping).
    """
    node, parents = graph.nodes[node_id], graph.parents[node_id]
    if node.kind != "input":
        return False
    if not parents:
        return True
    if len(parents) != 1 or parents[0] not in reading:
        return False
    if isinstance(node.params, FedParams):
        return False
    given = set(map(tuple, graph.nodes[parents[0]].raw.get("schema", [])))
    return set(map(tuple, node.raw.get("schema", []))) <= given


def _key(
    node: Node,
    parents: tuple[str, ...],
    keys: Mapping[str, str],
    resolved: Mapping[str, ResolvedModel],
    data: str,
    extra: Mapping[str, Any],
) -> str:
    step = steps.get(node.kind)
    payload: dict[str, Any] = {
        "v": KEY_VERSION,
        "kind": node.kind,
        "params": node.params.model_dump(
            mode="json", by_alias=True, exclude=set(step.KEY_EXCLUDE)
        ),
        "model": _model_sha(node, resolved),
        "inputs": _inputs(parents, keys),
        "data": data if node.kind == "input" and not parents else None,
    }
    if step.CHAIN_IN_KEY:
        payload["chain"] = _chain_in_key(node, resolved, extra["chains"])
    if "env" in extra:
        payload["env"] = extra["env"]
    if extra.get("code"):
        payload["code"] = step.CODE_VERSION
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def _model_sha(node: Node, resolved: Mapping[str, ResolvedModel]) -> str | None:
    if steps.get(node.kind).model_ref is None:
        return None
    if node.id not in resolved:
        raise KeyError(f"model node {node.id!r} has no resolved model")
    return resolved[node.id].sha256


def _chain_in_key(
    node: Node,
    resolved: Mapping[str, ResolvedModel],
    chains: Mapping[str, ResolvedChain],
) -> list[Any]:
    """The chain version's hash and its models' sha256, by inner node id."""
    if node.id not in chains:
        raise KeyError(f"node {node.id!r} has no resolved chain")
    prefix = f"{node.id}{SEPARATOR}"
    models = sorted(
        [k.removeprefix(prefix), m.sha256]
        for k, m in resolved.items()
        if k.startswith(prefix)
    )
    return [chains[node.id].ref[2], models]


def _inputs(parents: tuple[str, ...], keys: Mapping[str, str]) -> list[Any]:
    if len(parents) == 1:
        return [keys[parents[0]]]
    return [[label(parent), keys[parent]] for parent in parents]
