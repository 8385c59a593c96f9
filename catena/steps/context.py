"""What a step is told about its node, besides its params and input table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catena.errors import StepSchemaError
from catena.problems import Problem

if TYPE_CHECKING:
    import pandas as pd

    from catena.adapters import LoadedModel
    from catena.resolving import ResolvedModel


@dataclass(frozen=True, slots=True)
class StepContext:
    """The node a step runs for, and what the run resolved for it.

    Parameters
    ----------
    node_id : str
        The node being computed.
    model : ResolvedModel or None
        The resolved model version, for model nodes.
    loaded : LoadedModel or None
        The loaded model, when running (not when inferring schemas).
    inputs : pandas.DataFrame or None
        The run's input table, for input nodes.
    sources : Mapping of str to str
        Input column name to the parent node it came from (schema inference).
    parents : tuple of str
        The parent node ids, in edge order.
    """

    node_id: str
    model: ResolvedModel | None = None
    loaded: LoadedModel | None = None
    inputs: pd.DataFrame | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    parents: tuple[str, ...] = ()

    def problem(self, code: str, message: str, column: str | None = None) -> Problem:
        """Return a problem at this node, on the edge ``column`` came through."""
        source = self.sources.get(column) if column is not None else None
        edge = (source, self.node_id) if source is not None else None
        return Problem(code, f"node {self.node_id!r}: {message}", self.node_id, edge)

    def input_problem(self, code: str, message: str) -> Problem:
        """Return a problem blaming the incoming edge, when there is only one."""
        problem = self.problem(code, message)
        if len(self.parents) != 1:
            return problem
        return Problem(
            code, problem.message, self.node_id, (self.parents[0], self.node_id)
        )

    def missing(self, what: str, columns: Iterable[str]) -> StepSchemaError:
        """Return a ``missing_columns`` error naming ``columns``."""
        listed = ", ".join(repr(c) for c in columns)
        return StepSchemaError([self.problem("missing_columns", f"{what}: {listed}")])
