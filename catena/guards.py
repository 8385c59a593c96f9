"""Guards of an honest evaluation: warnings that a score would be too good to trust.

- :func:`bias_problems` (nested-model bias): a stacker records the base model
  versions whose outputs it was trained on; when a base node upstream of it
  now runs another version (an alias moved), or when its training used
  in-sample predictions, the stacker's node gets a warning naming both versions.
- :func:`target_problems`: a model that would take a labelled data set's
  target column as a feature. A column is the target when it arrives under the
  target's name (or ``<node>.<target>`` after a fan-in); a target renamed on
  the way is not followed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import networkx as nx

from catena.errors import StepSchemaError
from catena.fanin import join_schemas
from catena.graph import Graph
from catena.problems import Problem, make
from catena.resolving import ResolvedModel
from catena.schema import Schema
from catena.steps.context import StepContext
from catena.steps.model import plan


def bias_problems(graph: Graph, resolved: Mapping[str, ResolvedModel]) -> list[Problem]:
    """Return a warning per stacker trained on other base versions or in-sample.

    Parameters
    ----------
    graph : Graph
    resolved : Mapping of str to ResolvedModel
        Each model node's resolved version (see :class:`catena.validation.Report`).

    Examples
    --------
    >>> from catena.graph import load
    >>> bias_problems(load({"format": "catena.chain/1"}), {})
    []
    """
    found: list[Problem] = []
    for node_id, model in resolved.items():
        if node_id not in graph.nodes:
            continue
        if model.out_of_fold is False:
            found.append(_in_sample(node_id, model))
        if model.trained_on:
            found.extend(_moved(graph, resolved, node_id, model))
    return found


def _in_sample(node_id: str, model: ResolvedModel) -> Problem:
    return make(
        "stacker_in_sample",
        node=node_id,
        severity="warning",
        model=model.name,
        version=model.version,
    )


def _moved(
    graph: Graph,
    resolved: Mapping[str, ResolvedModel],
    node_id: str,
    stacker: ResolvedModel,
) -> Iterator[Problem]:
    trained = dict(stacker.trained_on)
    upstream = sorted(nx.ancestors(graph.dag, node_id), key=graph.order.index)
    for base_node in upstream:
        base = resolved.get(base_node)
        if base is None or base.name not in trained:
            continue
        if base.version != trained[base.name]:
            yield make(
                "stacker_base_moved",
                node=node_id,
                severity="warning",
                model=stacker.name,
                version=stacker.version,
                base_model=base.name,
                trained_version=trained[base.name],
                running_version=base.version,
                base_node=base_node,
            )


def target_problems(
    graph: Graph,
    schemas: Mapping[str, Schema | None],
    resolved: Mapping[str, ResolvedModel],
    target: str,
) -> list[Problem]:
    """Return a warning per model node that would take ``target`` as a feature.

    Parameters
    ----------
    graph : Graph
    schemas : Mapping of str to Schema or None
        Every node's output schema (see :class:`catena.validation.Report`).
    resolved : Mapping of str to ResolvedModel
    target : str
        The data set's target column ("" finds nothing).

    Examples
    --------
    >>> from catena.graph import load
    >>> target_problems(load({"format": "catena.chain/1"}), {}, {}, "y")
    []
    """
    if not target:
        return []
    found: list[Problem] = []
    for node_id, model in resolved.items():
        node = graph.nodes.get(node_id)
        if node is None or node.kind != "model":
            continue
        upstream = [(p, schemas.get(p)) for p in graph.parents[node_id]]
        if not upstream or any(schema is None for _, schema in upstream):
            continue
        joined, _ = join_schemas([(p, s) for p, s in upstream if s is not None])
        sources = _sources(node_id, model, joined, node.params)
        found.extend(
            make(
                "target_as_feature",
                node=node_id,
                severity="warning",
                model=model.name,
                version=model.version,
                feature=feature,
                column=column,
                target=target,
            )
            for feature, column in sources
            if column == target or column.endswith(f".{target}")
        )
    return found


def _sources(
    node_id: str, model: ResolvedModel, joined: Schema, params: object
) -> list[tuple[str, str]]:
    """``(feature, column)`` for each feature the node's model takes."""
    mapping = getattr(params, "columns", None)
    features = model.signature.inputs
    names = [c.name for c in joined]
    ctx = StepContext(node_id, model=model)
    try:
        columns = plan(features, names, mapping, ctx)
    except StepSchemaError:
        return []
    return [(f.name, c) for f, c in zip(features, columns, strict=True)]
