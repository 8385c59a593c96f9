"""The fluent chain builder: the same graph document the canvas saves.

Each method adds nodes wired from the current *tips* (the nodes added last)
and makes the new nodes the tips::

    chain = (client.chain("sales")
             .input(df)                                   # node "in"
             .model("sales-encoder", method="transform")  # in -> sales-encoder
             .fan_out(["sales-ridge", "sales-forest"])     # two branches
             .stack("sales-stacker")                       # both -> "stack"
             .save(message="first"))                       # adds "out"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catena_client import frames
from catena_client.errors import CatenaError, ChainInvalid, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from catena_client.chains import Chain
    from catena_client.client import Catena
    from catena_client.runs import Run

FORMAT = "catena.chain/1"


@dataclass(frozen=True)
class Step:
    """A node not yet placed: its kind, params and (optional) id."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    @classmethod
    def model(
        cls,
        name: str,
        *,
        version: int | str | None = None,
        method: str | None = None,
        columns: Mapping[str, str] | None = None,
        id: str | None = None,
    ) -> Step:
        """A model node; ``version`` a number or an alias (``"@production"``)."""
        params: dict[str, Any] = {"model": name}
        if version is not None:
            params["version"] = version
        if method is not None:
            params["method"] = method
        if columns:
            params["columns"] = dict(columns)
        return cls("model", params, id)


StepLike = str | Step


class ChainBuilder:
    """Builds a chain document; :meth:`save` checks and stores it as a version."""

    def __init__(self, client: Catena, name: str) -> None:
        self.client = client
        self.name = name
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[list[str]] = []
        self.tips: list[str] = []
        self.saved: Chain | None = None

    # Adding nodes -----------------------------------------------------------
    def input(
        self,
        columns: object,
        *,
        dtypes: Mapping[str, str] | None = None,
        id: str = "in",
    ) -> ChainBuilder:
        """The columns the chain takes: a DataFrame (dtypes from it), column
        names (dtypes from the first model's features, or ``dtypes=``), or
        ``(name, dtype)`` pairs. Dtypes: ``float int str bool``."""
        schema = frames.schema_of(columns, dtypes)
        node = self._add(Step("input", {"schema": schema}, id), parents=[])
        self.tips = [node]
        return self

    def model(
        self,
        name: str,
        *,
        version: int | str | None = None,
        method: str | None = None,
        columns: Mapping[str, str] | None = None,
        id: str | None = None,
    ) -> ChainBuilder:
        """A registered model fed by the tips (several tips: their fan-in)."""
        step = Step.model(name, version=version, method=method, columns=columns, id=id)
        return self.then(step)

    def then(self, step: StepLike, **params: Any) -> ChainBuilder:
        """Any next step: a model name (``params`` as in :meth:`model`) or a Step."""
        placed = self._add(as_step(step, params), parents=self.tips)
        self.tips = [placed]
        return self

    def fan_out(self, steps: Iterable[StepLike]) -> ChainBuilder:
        """Parallel branches, each fed by the tips; they become the tips."""
        parents = list(self.tips)
        self.tips = [self._add(as_step(s, {}), parents=parents) for s in steps]
        if not self.tips:
            raise ValueError("fan_out() needs at least one step")
        return self

    def stack(
        self,
        name: str,
        *,
        version: int | str | None = None,
        method: str | None = None,
        columns: Mapping[str, str] | None = None,
        id: str = "stack",
    ) -> ChainBuilder:
        """A meta-model fed by every tip; fan-in columns arrive in branch order."""
        return self.model(name, version=version, method=method, columns=columns, id=id)

    def combine(
        self,
        method: str = "mean",
        *,
        weights: Mapping[str, float] | None = None,
        name: str = "combined",
        id: str = "combine",
    ) -> ChainBuilder:
        """Fan-in without a trained model: mean, weighted_mean, vote or concat."""
        params: dict[str, Any] = {"method": method, "name": name}
        if weights:
            params["weights"] = dict(weights)
        return self.then(Step("combine", params, id))

    def transform(self, *ops: Mapping[str, Any], id: str = "transform") -> ChainBuilder:
        """Declarative ops, e.g. ``{"op": "rename", "columns": {"a": "b"}}``."""
        return self.then(Step("transform", {"ops": [dict(o) for o in ops]}, id))

    def step(self, kind: str, *, id: str | None = None, **params: Any) -> ChainBuilder:
        """A node of any kind in the palette, with its params as given."""
        return self.then(Step(kind, params, id))

    def optimize(self, *, id: str = "optimize", **params: Any) -> ChainBuilder:
        """For each row, the decision value that maximises an objective.

        ``params`` go into the node as given, e.g. ``predictor={"model":
        "sales-ridge"}, decision="price", candidates={"kind": "range", "lo": 1,
        "hi": 12, "steps": 23}, objective="price * prediction"`` (see the
        palette's params schema for the ``optimize`` kind).
        """
        return self.then(Step("optimize", dict(params), id))

    def output(self, *, id: str = "out") -> ChainBuilder:
        """What the chain returns (added by :meth:`save` when missing)."""
        return self.then(Step("output", {}, id))

    def _add(self, step: Step, *, parents: list[str]) -> str:
        node_id = self._free_id(step.id or default_id(step))
        self.nodes.append({"id": node_id, "kind": step.kind, "params": step.params})
        self.edges += [[p, node_id] for p in parents]
        return node_id

    def _free_id(self, wanted: str) -> str:
        taken = {n["id"] for n in self.nodes}
        found, n = wanted, 1
        while found in taken:
            n += 1
            found = f"{wanted}-{n}"
        return found

    # The document ---------------------------------------------------------
    def document(self) -> dict[str, Any]:
        """The graph document (format ``catena.chain/1``), as the canvas saves it."""
        self._fill_input_dtypes()
        nodes = [dict(n) for n in self.nodes]
        edges = [list(e) for e in self.edges]
        if self.tips and not any(n["kind"] == "output" for n in nodes):
            out = self._free_id("out")
            nodes.append({"id": out, "kind": "output", "params": {}})
            edges += [[tip, out] for tip in self.tips]
        return {
            "format": FORMAT,
            "nodes": nodes,
            "edges": edges,
            "layout": layered(nodes, edges),
        }

    def _fill_input_dtypes(self) -> None:
        for node in self.nodes:
            schema = node["params"].get("schema") if node["kind"] == "input" else None
            if schema and any(dtype is None for _, dtype in schema):
                node["params"]["schema"] = self._typed(node["id"], schema)

    def _typed(self, node_id: str, schema: list[list[Any]]) -> list[list[str]]:
        known: dict[str, str] = {}
        children = [b for a, b in self.edges if a == node_id]
        for child in (n for n in self.nodes if n["id"] in children):
            if child["kind"] == "model":
                params = child["params"]
                version = self.client.models.resolve(
                    params["model"], params.get("version", "@latest")
                )
                known.update({k: v for k, v in version.features if k not in known})
        missing = [
            name for name, dtype in schema if dtype is None and name not in known
        ]
        if missing:
            raise CatenaError(
                f"The dtypes of input columns {missing} are unknown: pass a "
                "DataFrame, (name, dtype) pairs, or dtypes= to input()."
            )
        return [[name, dtype or known[name]] for name, dtype in schema]

    # Saving and running ---------------------------------------------------
    def validate(self) -> list[dict[str, Any]]:
        """Every problem the server finds (errors and warnings), as sent."""
        body = {"document": self.document()}
        answer = self.client.http.json("POST", "/api/validate", json=body)
        problems: list[dict[str, Any]] = answer["problems"]
        return problems

    def save(self, message: str = "", *, title: str = "", live: bool = False) -> Chain:
        """Check the graph, then save it as the chain's next version.

        Raises :class:`ChainInvalid` listing every problem (with node and edge)
        before anything is stored; the chain is created when it is new.
        """
        document = self.document()
        errors = [p for p in self.validate() if p.get("severity") == "error"]
        if errors:
            text = f"The chain {self.name!r} has {len(errors)} problem(s)"
            raise ChainInvalid(400, text, {"problems": errors})
        chains = self.client.chains
        try:
            chains.info(self.name)
        except NotFound:
            chains.create(self.name, title=title)
        self.saved = chains.save_version(self.name, document, message=message)
        if live:
            self.saved.make_live()
        return self.saved

    def run(self, table: object, **kwargs: Any) -> Run:
        """Run the saved chain (see :meth:`Chain.run`)."""
        return self._saved().run(table, **kwargs)

    def predict(self, table: object, **kwargs: Any) -> pd.DataFrame:
        """Predict with the saved chain (see :meth:`Chain.predict`)."""
        return self._saved().predict(table, **kwargs)

    def _saved(self) -> Chain:
        if self.saved is None:
            raise CatenaError(f"Save the chain {self.name!r} first: .save(message=...)")
        return self.saved


def as_step(step: StepLike, params: Mapping[str, Any]) -> Step:
    if isinstance(step, Step):
        if params:
            raise TypeError("params go into the Step itself")
        return step
    return Step.model(step, **params)


def default_id(step: Step) -> str:
    """The model's name for a model node, else the kind."""
    if step.kind == "model":
        return re.sub(r"[^A-Za-z0-9_-]+", "-", str(step.params["model"]))[:64]
    return {"input": "in", "output": "out"}.get(step.kind, step.kind)


def layered(
    nodes: list[dict[str, Any]], edges: list[list[str]]
) -> dict[str, list[int]]:
    """Left-to-right layers by depth, as the editor's auto-layout draws them."""
    depth: dict[str, int] = {}
    for node in nodes:  # nodes are added after their parents
        parents = [a for a, b in edges if b == node["id"]]
        depth[node["id"]] = 1 + max((depth.get(p, 0) for p in parents), default=-1)
    rows: dict[int, int] = {}
    layout = {}
    for node in nodes:
        layer = depth[node["id"]]
        rows[layer] = rows.get(layer, -1) + 1
        layout[node["id"]] = [40 + 220 * layer, 60 + 120 * rows[layer]]
    return layout
