"""What a step is told about its node, besides its params and input table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catena.errors import StepSchemaError
from catena.problems import Problem, make

if TYPE_CHECKING:
    import pandas as pd

    from catena.adapters import LoadedModel
    from catena.chains import ChainInfo
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
    chain : ChainInfo or None
        The resolved saved chain, for chain nodes (schema inference) and an
        optimize what-if part that predicts with it.
    run_chain : callable or None
        Runs ``chain`` on a table in this process and returns its output
        node's table (the executor sets it when running with a ``chain``).
    """

    node_id: str
    model: ResolvedModel | None = None
    loaded: LoadedModel | None = None
    inputs: pd.DataFrame | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    parents: tuple[str, ...] = ()
    chain: ChainInfo | None = None
    run_chain: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def problem(
        self,
        code: str,
        *,
        via: str | None = None,
        variant: str = "",
        extra: Mapping[str, Any] | None = None,
        **data: Any,
    ) -> Problem:
        """Return a problem at this node, on the edge column ``via`` came through.

        ``data`` holds the code's fields (see :data:`catena.problems.FIELDS`).
        """
        source = self.sources.get(via) if via is not None else None
        edge = (source, self.node_id) if source is not None else None
        return make(
            code, node=self.node_id, edge=edge, variant=variant, extra=extra, **data
        )

    def input_problem(self, code: str, **given: Any) -> Problem:
        """Return a problem blaming the incoming edge, when there is only one."""
        problem = self.problem(code, **given)
        if len(self.parents) != 1:
            return problem
        edge = (self.parents[0], self.node_id)
        return Problem(code, problem.message, self.node_id, edge, data=problem.data)

    def missing(
        self, what: str, columns: Iterable[str], *, used_by: str
    ) -> StepSchemaError:
        """Return a ``missing_columns`` error naming ``columns``.

        ``what`` is the message's wording; ``used_by`` the param or op naming them.
        """
        listed = list(columns)
        problem = self.problem(
            "missing_columns", extra={"what": what}, columns=listed, used_by=used_by
        )
        return StepSchemaError([problem])
