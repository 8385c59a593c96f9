"""Benchmark: the submit path alone, as ``bench/api.py`` measures it, more often.

The same site as ``bench/api.py`` (a fresh site with the demo, the web app
under gunicorn, one worker of 2 processes, an HTTP client with keep-alive), per
configuration, then only:

- an identical rerun of 1 row of ``sales-stacked`` (every node reused): POST
  until the status says done, and the POST alone;
- the POST alone of a fresh 1-row run (it answers queued; the run is waited
  for, untimed, before the next);

2 warm-ups, then the median of 21 (``--quick``: of 5).

    .venv/bin/python bench/submit.py [--json] [--quick] [--only embedded|redis-pg]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
import api
from _common import ROOT, emit, parser, table


def main() -> None:
    cli = parser(__doc__ or "")
    cli.add_argument("--only", choices=sorted(api.CONFIGS))
    cli.add_argument("--child")
    args = cli.parse_args()
    repeats = 5 if args.quick else 21
    if args.child:
        child(args.child, repeats)
        return
    names = [args.only] if args.only else list(api.CONFIGS)
    figures = {name: configuration_run(name, args.quick) for name in names}
    rows = [
        [name, f["rerun_ms"], f["rerun_post_ms"], f["fresh_post_ms"], f["load"]]
        for name, f in figures.items()
    ]
    heads = ["config", "rerun ms", "rerun POST ms", "fresh POST ms", "load"]
    print(table(heads, rows))
    emit(figures, args.json)


def configuration_run(name: str, quick: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"catena-bench-submit-{name}-"))
    env = {**os.environ, "CATENA_VAR_DIR": str(work)}
    env.pop("DATABASE_URL", None)
    env.update(api.CONFIGS[name])
    command = [sys.executable, __file__, "--child", name] + (["--quick"] * quick)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{name}: {done.stderr.strip().splitlines()[-8:]}")
    shutil.rmtree(work, ignore_errors=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def child(name: str, repeats: int) -> None:
    if name == "redis-pg":
        api.postgres_database_fresh()
        api.redis_flush(api.CONFIGS[name]["CELERY_BROKER_URL"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from catena.reference import synthetic_sales

    call_command("migrate", verbosity=0)
    site = api.Site(api.demo_install())
    try:
        estimators = api.direct_estimators()
        frame = synthetic_sales(1, seed=7)[0]
        site.run_timed(frame, estimators)
        rows = api.records(frame)
        reruns = [site.rerun_timed(rows) for _ in range(repeats + 2)][2:]
        fresh = [api.records(site.frame(1)) for _ in range(repeats + 2)]
        posts = [post_timed(site, rows) for rows in fresh]
        result = {
            "rerun_ms": api.median_ms([r[0] for r in reruns]),
            "rerun_post_ms": api.median_ms([r[1] for r in reruns]),
            "fresh_post_ms": api.median_ms(posts[2:]),
            "load": round(os.getloadavg()[0], 1),
        }
    finally:
        site.stop()
    print(json.dumps(result))


def post_timed(site: api.Site, rows: list[dict[str, Any]]) -> float:
    """The POST alone of a fresh run; then its end is waited for, untimed."""
    start = time.perf_counter()
    body = {"chain": "sales-stacked", "rows": rows}
    answer = site.client.post("/api/runs/", json=body)
    posted = time.perf_counter() - start
    api.ok(answer)
    site.wait_done(answer.json())
    return posted


if __name__ == "__main__":
    main()
