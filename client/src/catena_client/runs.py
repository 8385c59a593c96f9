"""Runs: follow one to the end, read every node's output and figures."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from catena_client import frames, progress
from catena_client.errors import CatenaError, RunFailed
from catena_client.http import Http
from catena_client.models import pages

if TYPE_CHECKING:
    import pandas as pd

ACTIVE = ("queued", "running")
#: The longest ``?wait=`` the server accepts on a run's status, in seconds.
WAIT_MAX_SECONDS = 15.0
#: A waiting request asks the server to answer this much before the client's
#: own timeout would give up on it.
WAIT_MARGIN_SECONDS = 2.0


class Outputs(Mapping[str, "pd.DataFrame"]):
    """``run.outputs["node"]``: a node's stored output, downloaded once (Parquet).

    The DataFrame's index is the id of the input row each row came from.
    """

    def __init__(self, run: Run) -> None:
        self.run = run
        self.cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, node_id: str) -> pd.DataFrame:
        if node_id not in self.cache:
            path = f"/api/runs/{self.run.id}/nodes/{node_id}/output"
            # On object storage the server answers with a pre-signed redirect;
            # httpx drops the token when the redirect leaves the server's origin.
            response = self.run.http.request(
                "GET", path, params={"format": "parquet"}, follow_redirects=True
            )
            self.cache[node_id] = frames.frame_of_parquet(response.content)
        return self.cache[node_id]

    def __iter__(self) -> Iterator[str]:
        return iter(n["node_id"] for n in self.run.nodes if n.get("stored"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Run:
    """One run of a chain version; :meth:`wait` follows it to the end."""

    def __init__(self, http: Http, data: dict[str, Any]) -> None:
        self.http = http
        self.data = data
        self.outputs = Outputs(self)

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.chain} v{self.version} {self.status}>"

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def chain(self) -> str:
        return str(self.data["chain"])

    @property
    def version(self) -> int:
        return int(self.data["version"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def nodes(self) -> builtins.list[dict[str, Any]]:
        """Each node's result (status, rows, schema, seconds, model, error …)."""
        if "nodes" not in self.data:
            self.refresh()
        nodes: list[dict[str, Any]] = self.data["nodes"]
        return nodes

    @property
    def metrics(self) -> dict[str, Any]:
        """The run's timing, and per node: status, rows, seconds, reused, model."""
        keys = ("seconds", "submit_seconds", "queued_seconds", "ran_seconds")
        figures: dict[str, Any] = {k: self.data.get(k) for k in keys}
        figures["nodes"] = {
            n["node_id"]: {
                "status": n["status"],
                "rows": n["rows"],
                "seconds": n["seconds"],
                "reused": n["reused"],
                "reused_from": n["reused_from"],
                "model": n["model"],
            }
            for n in self.nodes
        }
        return figures

    def refresh(self) -> Run:
        """Read the run and its node results again."""
        self.data = self.http.json("GET", f"/api/runs/{self.id}/")
        self.outputs.cache.clear()
        return self

    def wait(
        self,
        *,
        timeout: float | None = None,
        poll: float = 0.5,
        first_poll: float = 0.05,
        show_progress: bool | None = None,
        raise_on_failure: bool = True,
    ) -> Run:
        """Block until the run ends, with a progress bar (tqdm) when installed.

        Each status request asks the server to wait up to ``poll`` seconds for
        the run to end (``?wait=``), so the end is seen at once and a long run
        costs one request per ``poll``. A server that answers without waiting
        (an older one, or one with too many waiting requests) is asked again
        after ``first_poll`` seconds, then ever less often (x1.5) up to ``poll``.

        Raises :class:`RunFailed` when it failed or was cancelled (unless
        ``raise_on_failure=False``), and :class:`CatenaError` on ``timeout``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = min(first_poll, poll)
        with progress.bar(f"run {self.id}", enabled=show_progress) as bar:
            while True:
                asked = poll if deadline is None else deadline - time.monotonic()
                longest = min(WAIT_MAX_SECONDS, self.http.timeout - WAIT_MARGIN_SECONDS)
                asked = max(0.0, min(asked, poll, longest))
                sent = time.monotonic()
                status = self.http.json(
                    "GET", f"/api/runs/{self.id}/status", params={"wait": asked}
                )
                bar.show(status["done"], status["total"], status["status"])
                if not status["active"]:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    raise CatenaError(f"run {self.id} still {status['status']}")
                if time.monotonic() - sent < asked / 2:
                    self.http.sleep(pause)  # it did not wait
                    pause = min(pause * 1.5, poll)
        self.refresh()
        if raise_on_failure and self.status != "succeeded":
            raise RunFailed(self, self.error_text())
        return self

    def error_text(self) -> str:
        """The run's error and each failed node's, one per line."""
        lines = [str(self.data.get("error") or "")]
        lines += [
            f"node {n['node_id']}: {n['error']}"
            for n in self.nodes
            if n["status"] == "failed"
        ]
        return "\n".join(line for line in lines if line) or self.status

    def cancel(self) -> Run:
        self.data = self.http.json("POST", f"/api/runs/{self.id}/cancel")
        return self

    def retry(self) -> Run:
        """Run the failed, skipped and cancelled nodes again."""
        self.data = self.http.json("POST", f"/api/runs/{self.id}/retry")
        return self


class Runs:
    """``client.runs``: look runs up and compare two of them."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def get(self, run_id: int) -> Run:
        return Run(self.http, self.http.json("GET", f"/api/runs/{run_id}/"))

    def list(
        self, *, chain: str = "", status: str = "", user: str = "", limit: int = 50
    ) -> builtins.list[Run]:
        """The newest runs first (at most ``limit``), optionally filtered."""
        query = {"chain": chain, "status": status, "user": user, "limit": limit}
        found = []
        for item in pages(self.http, "/api/runs/", query):
            found.append(Run(self.http, item))
            if len(found) >= limit:
                break
        return found

    def compare(self, a: int | Run, b: int | Run) -> builtins.list[dict[str, Any]]:
        """Node by node: ``same`` (equal cache keys, so equal outputs by
        construction), ``equal values``, ``different`` (with, per shared column,
        the rows that differ and the largest numeric difference) or
        ``only in one run``. Outputs are downloaded only where keys differ.
        """
        left = self.get(a if isinstance(a, int) else a.id)
        right = self.get(b if isinstance(b, int) else b.id)
        theirs = {n["node_id"]: n for n in right.nodes}
        found = [
            node_compare(left, right, n, theirs.get(n["node_id"])) for n in left.nodes
        ]
        ours = {n["node_id"] for n in left.nodes}
        found += [
            {"node_id": n, "verdict": "only in one run", "columns": []}
            for n in theirs
            if n not in ours
        ]
        return found


def node_compare(
    left: Run, right: Run, mine: dict[str, Any], theirs: dict[str, Any] | None
) -> dict[str, Any]:
    node = mine["node_id"]
    row: dict[str, Any] = {"node_id": node, "columns": []}
    if theirs is None:
        return {**row, "verdict": "only in one run"}
    if mine["cache_key"] and mine["cache_key"] == theirs["cache_key"]:
        return {**row, "verdict": "same"}
    if not (mine["stored"] and theirs["stored"]):
        return {**row, "verdict": "not comparable (no stored output)"}
    return {**row, **frames_compare(left.outputs[node], right.outputs[node])}


def frames_compare(x: pd.DataFrame, y: pd.DataFrame) -> dict[str, Any]:
    """Per shared column (rows matched by row id): rows that differ, largest gap."""
    pd = frames.pandas()
    common = x.index.intersection(y.index)
    columns = []
    for name in [c for c in x.columns if c in y.columns]:
        a, b = x.loc[common, name], y.loc[common, name]
        differ = int((~((a == b) | (a.isna() & b.isna()))).sum())
        biggest = None
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            gap = (a.astype("float64") - b.astype("float64")).abs()
            biggest = float(gap.max()) if len(gap) else 0.0
        columns.append({"name": str(name), "differ": differ, "max_abs_diff": biggest})
    apart = sorted(set(map(str, x.columns)) ^ set(map(str, y.columns)))
    changed = any(c["differ"] for c in columns) or apart or len(x) != len(y)
    verdict = "different" if changed else "equal values"
    return {"verdict": verdict, "columns": columns, "only_in_one": apart}
