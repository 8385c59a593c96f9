"""Benchmark: a remote model step against calling the same server by hand.

Starts the Node.js linear model server of the tests (V2, one tensor per
feature), records it as an endpoint version in a fresh SQLite registry, and for
1, 1,000 and 100,000 rows times:

- **direct**: the server called by hand with urllib3, V2 JSON bodies built with
  ``json.dumps`` from the columns, in batches of the same size, one at a time;
- **step**: ``catena.executor.run_node`` of the model node of ``in -> remote ->
  out``, resolved through the registry: exactly what a runner node executes
  (allow-list read, boundary check, pinned pool, encoding, batching, decoding,
  output checks). Resolving the chain happens once per run and is left out;
- **step x4**: the same with ``parallel = 4`` (the default).

Both use ``batch_size = 1000``. Goal (issue 14): step / direct at most 1.2 at
1,000 rows and above. The server is the same process for both, so the ratio
measures Catena's side of the exchange.

    .venv/bin/python bench/remote.py [--json] [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
import numpy as np
import pandas as pd
from _common import emit, median_seconds, parser, table

BATCH = 1000
SIZES = {1: 200, 1_000: 40, 100_000: 5}
QUICK_SIZES = {1: 20, 1_000: 5, 100_000: 1}
FEATURES = ["a", "b", "c"]


def setup_django(work: Path) -> None:
    os.environ["CATENA_VAR_DIR"] = str(work)
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["CATENA_HTTP_ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def endpoints_install(url: str) -> None:
    from django.contrib.auth import get_user_model

    from registry.services.endpoints import EndpointInput, endpoint_model_create

    user = get_user_model().objects.create(username="bench")
    for name, parallel in (("lin", 1), ("lin4", 4)):
        spec = EndpointInput(
            url=url, protocol="v2", batch_size=BATCH, parallel=parallel
        )
        endpoint_model_create(name=name, owner=user, spec=spec)


def chain(model: str) -> Any:
    from catena.graph import load

    schema = [[f, "float"] for f in FEATURES]
    return load(
        {
            "format": "catena.chain/1",
            "nodes": [
                {"id": "in", "kind": "input", "params": {"schema": schema}},
                {"id": "m", "kind": "model", "params": {"model": model}},
                {"id": "out", "kind": "output", "params": {}},
            ],
            "edges": [["in", "m"], ["m", "out"]],
        }
    )


def direct_call(pool: Any, path: str, frame: pd.DataFrame) -> np.ndarray:
    """The server called by hand: the same V2 body, the same batches."""
    parts = []
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start : start + BATCH]
        body = {
            "inputs": [
                {
                    "name": f,
                    "datatype": "FP64",
                    "shape": [len(part)],
                    "data": part[f].tolist(),
                }
                for f in FEATURES
            ]
        }
        answer = pool.urlopen(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        parts.append(np.asarray(json.loads(answer.data)["outputs"][0]["data"]))
    return np.concatenate(parts)


def measure(url: str, rows: int, repeats: int) -> dict[str, Any]:
    import urllib3

    from catena.executor import run_node
    from catena.validation import check
    from registry.resolver import RegistryResolver
    from tests.registry.remote.servers import training_data

    frame, _ = training_data(rows, seed=1)
    resolver = RegistryResolver()
    graphs = {name: chain(name) for name in ("lin", "lin4")}
    resolved = {name: check(g, resolver).resolved for name, g in graphs.items()}
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=4)
    path = "/ok/v2/models/lin-cols/infer"

    def step(name: str) -> np.ndarray:
        output = run_node(graphs[name], "m", {"in": frame}, resolved[name])
        return output["y"].to_numpy()

    expected = direct_call(pool, path, frame)
    assert step("lin").tolist() == expected.tolist()
    assert step("lin4").tolist() == expected.tolist()
    direct, one, four = median_seconds(
        [
            lambda: direct_call(pool, path, frame),
            lambda: step("lin"),
            lambda: step("lin4"),
        ],
        repeats,
    )
    return {
        "rows": rows,
        "direct_ms": direct * 1e3,
        "step_ms": one * 1e3,
        "step_parallel4_ms": four * 1e3,
        "direct_us_per_row": direct / rows * 1e6,
        "step_us_per_row": one / rows * 1e6,
        "overhead_us_per_row": (one - direct) / rows * 1e6,
        "ratio": one / direct,
        "ratio_parallel4": four / direct,
    }


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    work = Path(tempfile.mkdtemp(prefix="catena-bench-remote-"))
    try:
        setup_django(work)
        from tests.registry.remote.servers import node_server

        with node_server(work) as server:
            url = f"{server.url}/ok/v2/models/lin-cols"
            endpoints_install(url)
            sizes = QUICK_SIZES if args.quick else SIZES
            figures = {str(n): measure(url, n, r) for n, r in sizes.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(figures)
    emit(figures, args.json)


def report(figures: dict[str, Any]) -> None:
    headers = [
        "rows",
        "direct ms",
        "step ms",
        "step x4 ms",
        "overhead µs/row",
        "step/direct",
        "x4/direct",
        "goal",
    ]
    rows = []
    for f in figures.values():
        goal = "-" if f["rows"] < 1000 else ("ok" if f["ratio"] <= 1.2 else "MISSED")
        rows.append(
            [
                f["rows"],
                f["direct_ms"],
                f["step_ms"],
                f["step_parallel4_ms"],
                f["overhead_us_per_row"],
                f["ratio"],
                f["ratio_parallel4"],
                goal,
            ]
        )
    print(table(headers, rows))


if __name__ == "__main__":
    main()
