"""Saved chains: their versions, the live version, and running them."""

from __future__ import annotations

import builtins
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catena_client import frames
from catena_client.errors import NotFound
from catena_client.http import Http
from catena_client.models import pages
from catena_client.runs import Run

if TYPE_CHECKING:
    import pandas as pd

#: Inputs up to this many rows go as JSON rows; larger ones as a data set
#: (the server takes at most 10,000 rows and 8 MiB as JSON).
ROWS_MAX = 2000
ROWS_MAX_BYTES = 4 * 1024 * 1024


@dataclass
class Chain:
    """One saved version of a chain (``number``), with its graph document."""

    http: Http = field(repr=False)
    name: str
    number: int
    document: dict[str, Any] = field(repr=False)
    message: str = ""

    def run(
        self,
        table: object = None,
        *,
        dataset: int | None = None,
        until: str = "",
        reuse: bool = True,
        wait: bool = False,
    ) -> Run:
        """Start a run of this version on ``table`` (a DataFrame or row dicts)
        or on a stored ``dataset`` id. Small tables go as JSON rows, larger
        ones are uploaded once as a data set (named by their content hash).

        The submission carries an ``Idempotency-Key``, so a retry after a lost
        answer never starts a second run.
        """
        body: dict[str, Any] = {"chain": self.name, "version": self.number}
        body.update(until=until, reuse=reuse)
        if dataset is not None:
            body["dataset"] = dataset
        elif table is not None:
            body.update(input_of(self.http, table))
        else:
            raise TypeError("run() needs a table or dataset=")
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        run = Run(
            self.http, self.http.json("POST", "/api/runs/", json=body, headers=headers)
        )
        return run.wait() if wait else run

    def predict(
        self, table: object, *, pinned: bool = False, outputs: Sequence[str] = ()
    ) -> pd.DataFrame:
        """The chain's answer for ``table``, served in-process by the web app.

        Against the chain's *live* version (``POST /api/chains/<name>/predict``),
        or this very version with ``pinned=True``. The rows come back in the
        order sent (a DataFrame keeps its index). :meth:`predict_answer` gives
        the whole answer: the version that answered and the model versions.
        """
        answer = self.predict_answer(table, pinned=pinned, outputs=outputs)
        frame = frames.frame_of_rows(answer["rows"])
        if frames.is_frame(table) and len(frame) == len(table):  # type: ignore[arg-type]
            frame.index = table.index  # type: ignore[attr-defined]
        return frame

    def predict_answer(
        self, table: object, *, pinned: bool = False, outputs: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The whole answer: chain, version, models, rows (and outputs)."""
        path = f"/api/chains/{self.name}/predict"
        if pinned:
            path = f"/api/chains/{self.name}/versions/{self.number}/predict"
        params = {"outputs": ",".join(outputs)} if outputs else None
        body = {"rows": frames.rows_of(table)}
        # Predicting changes nothing on the server: safe to send again.
        answer: dict[str, Any] = self.http.json(
            "POST", path, json=body, params=params, replay=True
        )
        return answer

    def make_live(self) -> Chain:
        """Make this version the live one (the one served and run by default)."""
        path = f"/api/chains/{self.name}/live"
        self.http.json("POST", path, json={"number": self.number})
        return self


def input_of(http: Http, table: object) -> dict[str, Any]:
    """``{"rows": [...]}`` for a small table, else ``{"dataset": id}``."""
    rows = frames.rows_of(table)
    if len(rows) <= ROWS_MAX and len(json.dumps(rows)) <= ROWS_MAX_BYTES:
        return {"rows": rows}
    return {"dataset": dataset_for(http, table)}


def dataset_for(http: Http, table: object) -> int:
    """The id of a data set holding ``table``: found by name, else uploaded."""
    data = frames.parquet_of(table)
    name = f"client-{hashlib.sha256(data).hexdigest()[:20]}"
    me = http.json("GET", "/api/me")["username"]
    found = http.json("GET", "/api/datasets/", params={"name": name, "owner": me})
    if found["results"]:
        return int(found["results"][0]["id"])
    files = {"file": (f"{name}.parquet", data, "application/octet-stream")}
    made = http.json("POST", "/api/datasets/", data={"name": name}, files=files)
    return int(made["id"])


class Chains:
    """``client.chains``: saved chains and their versions."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def info(self, name: str) -> dict[str, Any]:
        """The chain: title, owner, latest and live version numbers."""
        found: dict[str, Any] = self.http.json("GET", f"/api/chains/{name}/")
        return found

    def create(self, name: str, *, title: str = "", description: str = "") -> None:
        given = {"title": title, "description": description}
        body = {"name": name, **{k: v for k, v in given.items() if v}}
        self.http.json("POST", "/api/chains/", json=body)

    def get(self, name: str, number: int | None = None) -> Chain:
        """A saved version: the given number, else the live one, else the latest."""
        if number is None:
            info = self.info(name)
            number = info["live_version"] or info["latest_version"]
            if number is None:
                raise NotFound(404, f"Chain {name!r} has no saved version.", {})
        path = f"/api/chains/{name}/versions/{number}/"
        return self._chain(name, self.http.json("GET", path))

    def list(self, *, search: str = "") -> builtins.list[dict[str, Any]]:
        return builtins.list(pages(self.http, "/api/chains/", {"search": search}))

    def save_version(
        self, name: str, document: dict[str, Any], *, message: str = ""
    ) -> Chain:
        """Save ``document`` as the next version (or find it unchanged)."""
        body = {"document": document, "message": message}
        saved = self.http.json("POST", f"/api/chains/{name}/versions/", json=body)
        if saved.get("unchanged"):
            return self.get(name, saved["number"])
        return self._chain(name, saved)

    def _chain(self, name: str, data: dict[str, Any]) -> Chain:
        return Chain(
            self.http,
            name,
            int(data["number"]),
            data["document"],
            data.get("message", ""),
        )
