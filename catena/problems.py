"""Problems found in a graph document or by validation, and their stable codes.

A problem carries its facts as data (:data:`FIELDS` lists them per code); its
message is rendered from :data:`MESSAGES` for people only. Callers and the
editor read the fields, so rewording a template breaks no feature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from catena.guard_codes import GUARD_CODES, GUARD_FIELDS, GUARD_MESSAGES
from catena.render import render

Severity = Literal["error", "warning"]

#: Every problem code the core emits, with its one-line meaning.
CODES: dict[str, str] = {
    "bad_document": "the document is not an object or a top-level field has the "
    "wrong type",
    "bad_format": "the format tag is missing or is not 'catena.chain/1'",
    "bad_node": "a node is not an object with 'id', 'kind' and 'params'",
    "bad_id": "a node id is not a short name of letters, digits, '_' or '-'",
    "duplicate_node": "two nodes share one id",
    "bad_edge": "an edge is not a pair of node ids",
    "missing_node": "an edge names a node that does not exist",
    "self_edge": "an edge goes from a node to itself",
    "duplicate_edge": "the same edge appears twice",
    "bad_layout": "a layout entry is not [x, y] numbers for an existing node",
    "unknown_kind": "a node's kind is not in the palette",
    "bad_params": "a node's params do not fit its kind",
    "cycle": "the edges form a cycle",
    "no_input": "the graph has no input node",
    "no_output": "the graph has no output node",
    "unreachable": "a node cannot be reached from any input node",
    "input_with_parents": "an input node has incoming edges",
    "unconnected_output": "an output node has no incoming edge",
    "unknown_node": "a run names a node that does not exist",
    "unknown_model": "the model, version or alias is not in the registry",
    "untrusted_model": "the model version has not been marked trusted",
    "compat_warning": "the resolver warns about the model version (a warning)",
    "unknown_method": "the model does not offer the requested method",
    "missing_features": "a model's required features are not produced upstream",
    "feature_count": "a positional model gets a different number of columns",
    "dtype_mismatch": "a column's dtype does not fit where it is used",
    "missing_columns": "a step names columns its input does not have",
    "duplicate_columns": "a step would produce two columns with one name",
    "bad_value": "a step's value does not fit the column it is meant for",
    "unknown_chain": "the saved chain or its version is not known",
    "chain_cycle": "a chain step uses its own chain, directly or through others",
    "chain_depth": "chain steps are nested deeper than the limit",
    "chain_size": "a chain step expands to more nodes than the limit",
    "chain_invalid": "the chain a chain step uses has errors of its own",
    "chain_live_moved": "the chain's @live moved since the node was drawn (a warning)",
    "bad_predictor": "an optimize step's predictor cannot score the decision",
    "bad_bounds": "an optimize step's bounds are not two distinct other columns",
    "grid_too_large": "rows x candidates of an optimize step exceed the limit",
    **GUARD_CODES,
}


#: The data fields every problem of a code carries (besides node and edge),
#: each with its meaning. Values are JSON: strings, numbers, lists, objects.
FIELDS: dict[str, dict[str, str]] = {
    "bad_document": {
        "field": "the top-level field at fault, or null for the document itself",
        "expected": "the JSON type wanted ('object', 'list')",
        "got": "the JSON type found",
    },
    "bad_format": {"expected": "'catena.chain/1'", "got": "the tag found, or null"},
    "bad_node": {
        "index": "the node's position in 'nodes', from 1",
        "field": "the field of the wrong type ('id', 'kind', 'params'), or null",
        "unknown_fields": "fields a node may not have",
    },
    "bad_id": {"id": "the id refused"},
    "duplicate_node": {"id": "the id used twice"},
    "bad_edge": {"index": "the edge's position in 'edges', from 1"},
    "missing_node": {"missing": "the ids the edge names that no node has"},
    "self_edge": {},
    "duplicate_edge": {},
    "bad_layout": {"entry": "the layout key at fault, or null for 'layout' itself"},
    "unknown_kind": {"kind": "the kind asked for", "known": "the palette's kinds"},
    "bad_params": {
        "path": "the dotted path of the param at fault ('(root)' for params)",
        "type": "the validator's error type (e.g. 'missing', 'literal_error')",
        "detail": "the validator's explanation",
    },
    "cycle": {"nodes": "the cycle's node ids in edge order"},
    "no_input": {},
    "no_output": {},
    "unreachable": {},
    "input_with_parents": {"parent": "the node feeding the input node"},
    "unconnected_output": {},
    "unknown_node": {"id": "the node id asked for"},
    "unknown_model": {
        "model": "the registry name asked for",
        "version": "the version number or '@alias' asked for",
        "detail": "the registry's explanation",
    },
    "untrusted_model": {"model": "registry name", "version": "version number"},
    "unknown_chain": {
        "chain": "the chain name asked for",
        "version": "the version number, '@live' or '@latest' asked for",
        "detail": "the resolver's explanation",
    },
    "chain_cycle": {"cycle": "the chain names in use order, the first one repeated"},
    "chain_depth": {"depth": "the nesting found", "limit": "the deepest allowed"},
    "chain_size": {"nodes": "the nodes it expands to", "limit": "the most allowed"},
    "chain_invalid": {
        "chain": "chain name",
        "version": "exact version number",
        "problems": "the inner chain's errors, each as a problem object",
    },
    "chain_live_moved": {
        "chain": "chain name",
        "drawn": "the version @live named when the node was drawn",
        "version": "the version @live names now (what runs use)",
    },
    "compat_warning": {
        "model": "registry name",
        "version": "version number",
        "warning": "the registry's warning",
    },
    "unknown_method": {
        "model": "registry name",
        "method": "the method asked for",
        "offered": "the methods the model has",
    },
    "missing_features": {
        "features": "the model's features that no column feeds",
        "columns": "the columns that arrive, in order (fan-in prefixes included)",
        "mapping": "the node's column mapping {feature: column}",
    },
    "feature_count": {
        "expected": "how many columns the positional model takes",
        "got": "how many arrive",
        "columns": "the columns that arrive, in order",
    },
    "dtype_mismatch": {
        "feature": "the model feature, or null outside model nodes",
        "column": "the upstream column, or null (vote over several)",
        "expected": "the dtype needed, 'numeric' or 'one dtype'",
        "actual": "the column's dtype (vote: the list of dtypes met)",
    },
    "missing_columns": {
        "columns": "the columns named but absent upstream",
        "used_by": "what names them: an op (select, rename, drop, cast, fill, "
        "onehot, arith), 'weights', 'columns' (output) or 'input' (none arrive)",
    },
    "duplicate_columns": {"columns": "the names produced twice"},
    "bad_value": {
        "param": "the param at fault: 'columns' (model mapping) or 'fill'",
        "column": "the column, or null",
        "value": "the value refused (mapping: the unknown feature names)",
        "expected": "what would fit: a dtype, or 'features of the model'",
    },
    "bad_predictor": {
        "model": "registry name",
        "method": "the method called",
        "outputs": "the method's output columns",
        "decision": "the decision column",
    },
    "bad_bounds": {"lower": "column or null", "upper": "column or null"},
    "grid_too_large": {
        "rows": "the run's row count",
        "candidates": "candidates per row",
        "limit": "the most rows x candidates allowed",
    },
    **GUARD_FIELDS,
}

#: Message templates, by code (or ``code.variant``); rendered with the problem's
#: data plus ``node``. Lists render comma-separated, ``!r`` quotes each item.
MESSAGES: dict[str, str] = {
    "bad_document": "{field!r} must be a {expected}, not {got}",
    "bad_document.root": "the document must be an {expected}, not {got}",
    "bad_format": "the format tag must be {expected!r}, not {got!r}",
    "bad_node": "node #{index}: '{field}' must be a {expected}",
    "bad_node.object": "node #{index}: must be an object, not {got}",
    "bad_node.fields": "node #{index}: has unknown fields: {unknown_fields}",
    "bad_node.params": "node #{index}: node {id!r}: 'params' must be an object",
    "bad_id": "node id {id!r} must be 1-64 letters, digits, '_' or '-'",
    "duplicate_node": "node id {id!r} is used twice",
    "bad_edge": "edge #{index} must be [source, target] node ids, not {item}",
    "missing_node": "edge {source} -> {target} names missing node {missing_text}",
    "self_edge": "edge {source} -> {target} goes to itself",
    "duplicate_edge": "edge {source} -> {target} appears twice",
    "bad_layout": "layout entry {entry!r} must be [x, y] for an existing node",
    "bad_layout.root": "'layout' must be an object of [x, y]",
    "unknown_kind": "node {node!r} has unknown kind {kind!r} (known: {known})",
    "bad_params": "node {node!r}: params.{path}: {detail}",
    "cycle": "the edges form a cycle: {path}",
    "no_input": "the graph has no input node",
    "no_output": "the graph has no output node",
    "unreachable": "node {node!r} cannot be reached from an input",
    "input_with_parents": (
        "input node {node!r} cannot have incoming edges ({parent} -> {node})"
    ),
    "unconnected_output": "output node {node!r} has no incoming edge",
    "unknown_node": "there is no node {id!r} to run until",
    "unknown_model": "node {node!r}: {detail}",
    "untrusted_model": (
        "node {node!r}: model {model!r} v{version} is not trusted "
        "(a staff user must trust it)"
    ),
    "compat_warning": "node {node!r}: model {model!r} v{version}: {warning}",
    "unknown_chain": "node {node!r}: {detail}",
    "chain_cycle": "node {node!r}: a chain cannot use itself: {path}",
    "chain_depth": (
        "node {node!r}: chain steps nest {depth} deep; at most {limit} are allowed"
    ),
    "chain_size": (
        "node {node!r}: the chain expands to {nodes} nodes; at most {limit} are allowed"
    ),
    "chain_invalid": "node {node!r}: chain {chain!r} v{version} has errors: {first}",
    "chain_live_moved": (
        "node {node!r}: @live of chain {chain!r} moved from v{drawn} to "
        "v{version} since this node was drawn; runs now use v{version}"
    ),
    "unknown_method": (
        "node {node!r}: model {model!r} has no method {method!r} ({offered_text})"
    ),
    "missing_features": "node {node!r}: missing features upstream: {features}",
    "feature_count": (
        "node {node!r}: takes {expected} columns by position, gets {got}"
    ),
    "dtype_mismatch": (
        "node {node!r}: feature {feature!r} needs {expected}, "
        "column {column!r} is {actual}"
    ),
    "dtype_mismatch.average": (
        "node {node!r}: cannot average {actual} column {column!r}"
    ),
    "dtype_mismatch.vote": (
        "node {node!r}: votes over columns of different dtypes: {actual}"
    ),
    "dtype_mismatch.expression": (
        "node {node!r}: expression uses {actual} column {column!r}"
    ),
    "missing_columns": "node {node!r}: {what}: {columns!r}",
    "missing_columns.empty": "node {node!r}: has no input columns",
    "duplicate_columns": "node {node!r}: produces duplicate columns: {columns}",
    "duplicate_columns.transform": (
        "node {node!r}: would produce duplicate columns: {columns}"
    ),
    "bad_value": ("node {node!r}: column mapping names unknown features: {value}"),
    "dtype_mismatch.decision": (
        "node {node!r}: decision column {column!r} is {actual}, not numeric"
    ),
    "dtype_mismatch.bounds": (
        "node {node!r}: bounds column {column!r} is {actual}, not numeric"
    ),
    "bad_predictor": (
        "node {node!r}: predictor {model!r} {method} must give one numeric column, "
        "not {outputs}"
    ),
    "bad_predictor.decision": (
        "node {node!r}: the decision column {decision!r} is not a feature of "
        "predictor {model!r}, so its predictions cannot depend on it"
    ),
    "bad_bounds": (
        "node {node!r}: bounds need a lower and/or upper column, distinct and "
        "other than the decision column"
    ),
    "grid_too_large": (
        "node {node!r}: {rows} rows x {candidates} candidates exceed the "
        "limit of {limit} cells"
    ),
    "bad_value.fill": (
        "node {node!r}: fill value {value!r} does not fit {expected} column {column!r}"
    ),
    **GUARD_MESSAGES,
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a graph, attached to a node or an edge.

    Parameters
    ----------
    code : str
        A stable snake_case code, one of :data:`CODES`.
    message : str
        A sentence for people, naming the node, edge or column at fault.
    node : str or None
        The node at fault, if any.
    edge : tuple of (str, str) or None
        The edge at fault, if any.
    severity : {"error", "warning"}
        Warnings are shown but do not stop a run.
    data : Mapping
        The facts the problem is about, keyed by the names :data:`FIELDS`
        lists for its code (JSON-ready values).

    Examples
    --------
    >>> Problem("no_output", "the graph has no output node").as_dict()["severity"]
    'error'
    """

    code: str
    message: str
    node: str | None = None
    edge: tuple[str, str] | None = None
    severity: Severity = "error"
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as JSON-ready data (``edge`` as a list)."""
        edge = list(self.edge) if self.edge is not None else None
        return {
            "code": self.code,
            "message": self.message,
            "node": self.node,
            "edge": edge,
            "severity": self.severity,
            "data": dict(self.data),
        }


def errors_only(problems: list[Problem]) -> list[Problem]:
    """Return the problems whose severity is ``"error"``."""
    return [p for p in problems if p.severity == "error"]


def make(
    code: str,
    *,
    node: str | None = None,
    edge: tuple[str, str] | None = None,
    severity: Severity = "error",
    variant: str = "",
    extra: Mapping[str, Any] | None = None,
    **data: Any,
) -> Problem:
    """Return a problem whose message is rendered from its data.

    Parameters
    ----------
    code : str
        One of :data:`CODES`; ``data`` holds exactly the fields :data:`FIELDS`
        lists for it.
    node, edge, severity
        As in :class:`Problem`.
    variant : str
        Picks the template ``MESSAGES[f"{code}.{variant}"]``.
    extra : Mapping or None
        Values the message shows that are not fields (kept out of ``data``).
    **data
        The problem's fields.

    Examples
    --------
    >>> p = make("missing_features", node="m", features=["a"], columns=["b"],
    ...          mapping={})
    >>> p.message, p.data["features"]
    ("node 'm': missing features upstream: a", ['a'])
    """
    template = MESSAGES[f"{code}.{variant}" if variant else code]
    values = {**dict(extra or {}), **data, "node": node}
    return Problem(code, render(template, values), node, edge, severity, data)
