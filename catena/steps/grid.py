"""The optimize step's predictor reference and candidate grid (shared by its parts).

Not a step kind: :mod:`catena.steps.optimize` (the *choose* part, on the
canvas) and :mod:`catena.steps.whatif` (its *what-if* part) both use these.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from catena.steps.chain import Params as ChainParams
from catena.steps.model import Method, Version

#: Rows x candidates above this are refused (before running when the row
#: count is known, else when the what-if part starts).
MAX_CELLS = 50_000_000
#: Most candidates per row (each is two columns of the what-if part's output).
MAX_CANDIDATES = 1000


class ModelPredictor(BaseModel):
    """``{"model", "version", "method", "columns"}``: a registered model version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1, max_length=200)
    version: Version = "@latest"
    method: Method = "predict"
    columns: dict[str, str] | None = None


class ChainPredictor(ChainParams):
    """``{"chain", "version", "columns", "drawn"}``: a saved chain version.

    Its input columns are the predictor's features and its output node's one
    numeric column the prediction, as for a chain step.
    """


def _predictor_kind(value: Any) -> str:
    """``chain`` when the predictor names a chain, else ``model``."""
    if isinstance(value, dict):
        return "chain" if "chain" in value else "model"
    return "chain" if isinstance(value, ChainPredictor) else "model"


#: What an optimize step predicts with: one kind's errors, never both kinds'.
Predictor = Annotated[
    Annotated[ModelPredictor, Tag("model")] | Annotated[ChainPredictor, Tag("chain")],
    Discriminator(_predictor_kind),
]


class Candidates(BaseModel):
    """The decision values tried for each row.

    ``{"kind": "list", "values": [...]}``, ``{"kind": "range", "lo", "hi",
    "steps"}`` (evenly spaced, both ends included) or ``{"kind":
    "multipliers", "values": [...]}`` / ``{"kind": "multipliers", "lo", "hi",
    "steps"}`` (times the row's current value of the decision column).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["list", "range", "multipliers"]
    values: list[float] | None = Field(default=None, max_length=MAX_CANDIDATES)
    lo: float | None = None
    hi: float | None = None
    steps: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _complete(self) -> Candidates:
        ranged = (self.lo, self.hi, self.steps)
        if self.values is not None and any(v is not None for v in ranged):
            raise ValueError("give either 'values' or 'lo', 'hi' and 'steps'")
        if self.values is None and (
            self.kind == "list" or any(v is None for v in ranged)
        ):
            wanted = "'values'" if self.kind == "list" else "'lo', 'hi' and 'steps'"
            raise ValueError(f"{self.kind} candidates need {wanted}")
        if self.count == 0:
            raise ValueError("the candidate grid is empty")
        if self.count > MAX_CANDIDATES:
            raise ValueError(f"at most {MAX_CANDIDATES} candidates per row")
        given = [
            *(self.values or []),
            *(v for v in (self.lo, self.hi) if v is not None),
        ]
        if not np.isfinite(given).all():
            raise ValueError("candidates must be finite numbers")
        return self

    @property
    def count(self) -> int:
        """How many candidates each row gets."""
        return len(self.values) if self.values is not None else int(self.steps or 0)

    def base(self) -> np.ndarray:
        """The listed values, or the range's points (before any multiplying)."""
        if self.values is not None:
            return np.asarray(self.values, dtype=np.float64)
        return np.linspace(float(self.lo or 0), float(self.hi or 0), self.count)

    def grid(self, current: np.ndarray) -> np.ndarray:
        """Return the rows x candidates matrix for the rows' current values.

        Examples
        --------
        >>> c = Candidates(kind="multipliers", values=[0.5, 2.0])
        >>> c.grid(np.array([2.0, 4.0])).tolist()
        [[1.0, 4.0], [2.0, 8.0]]
        """
        base = self.base()
        if self.kind == "multipliers":
            outer: np.ndarray = np.multiply.outer(current.astype(np.float64), base)
            return outer
        return np.broadcast_to(base, (len(current), len(base))).copy()


def candidate_names(count: int) -> list[str]:
    """The what-if part's candidate columns."""
    return [f"candidate_{i}" for i in range(count)]


def prediction_names(count: int) -> list[str]:
    """The what-if part's prediction columns."""
    return [f"prediction_{i}" for i in range(count)]
