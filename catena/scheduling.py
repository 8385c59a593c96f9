"""Which nodes can run now, in graphlib's vocabulary (``ready`` / ``done``).

The Celery runner asks :func:`ready` after each node is done; the in-process
executor loops over it the way :meth:`graphlib.TopologicalSorter.static_order`
loops over ``get_ready``.
"""

from __future__ import annotations

from collections.abc import Collection

from catena.graph import Graph


def ready(
    graph: Graph, done: Collection[str], among: Collection[str] | None = None
) -> list[str]:
    """Return the nodes not in ``done`` whose parents are all in ``done``.

    Parameters
    ----------
    graph : Graph
        A loaded, acyclic graph.
    done : collection of str
        The nodes already finished (or reused).
    among : collection of str, optional
        Consider only these nodes (e.g. the ancestors of a partial run's
        target); it must contain the parents of each of its nodes.

    Returns
    -------
    list of str
        In document order.

    Examples
    --------
    >>> from catena.graph import load
    >>> g = load({"format": "catena.chain/1", "nodes": [
    ...     {"id": "a", "kind": "output"}, {"id": "b", "kind": "output"}],
    ...     "edges": [["a", "b"]]})
    >>> ready(g, set()), ready(g, {"a"}), ready(g, {"a", "b"})
    (['a'], ['b'], [])
    """
    parents = graph.parents
    return [
        node
        for node in graph.nodes
        if node not in done
        and (among is None or node in among)
        and all(p in done for p in parents[node])
    ]
