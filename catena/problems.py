"""Problems found in a graph document or by validation, and their stable codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as JSON-ready data (``edge`` as a list)."""
        edge = list(self.edge) if self.edge is not None else None
        return {
            "code": self.code,
            "message": self.message,
            "node": self.node,
            "edge": edge,
            "severity": self.severity,
        }


def errors_only(problems: list[Problem]) -> list[Problem]:
    """Return the problems whose severity is ``"error"``."""
    return [p for p in problems if p.severity == "error"]
