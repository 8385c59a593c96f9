"""Benchmark: how soon a run's end shows on its run page, in Chromium.

On a fresh embedded site (demo models and chains; the web app under gunicorn as
``python3 dev.py start`` runs it; one Celery worker of 2 processes), each round:

- a 100,000-row data set is uploaded (untimed), a run of ``sales-stacked`` on it
  is posted through the API, and Chromium opens the run's page at once, while
  the run still goes (it takes about half a second);
- the page (a script added before its own) notes the moment ``#run-status``
  first says ``succeeded``, whether the page's own script painted it or the
  page reloaded with the outputs; **end -> shown** is that moment less the
  run's ``finished_at`` (the same machine's clock);
- the limit is 0 ms (the status said at the moment of the end); for scale, in
  the same round, **load**: opening the finished run's page again, navigation
  start until its DOM is ready (what the page's reload with the outputs, after
  the status shows the end, takes).

The median and the largest of 7 rounds (``--repeats N``; ``--quick``: 2).

    .venv/bin/python bench/run_page.py [--json] [--quick] [--repeats N]
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import time
from datetime import datetime
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import emit, parser, table
from _site import demo_install, embedded_child
from editor import session_cookie

ROWS = 100_000
#: Notes (in sessionStorage, which a reload keeps) when the status first shows
#: "succeeded", and whether the page was first loaded with the run active.
SHOWN_NOTE = """
(() => {
  const note = () => {
    const badge = document.getElementById("run-status");
    if (!badge) return;
    const script = document.querySelector("script[data-status-url]");
    if (sessionStorage.getItem("firstActive") === null && script) {
      sessionStorage.setItem("firstActive", script.dataset.active);
    }
    const look = () => {
      if (sessionStorage.getItem("shownAt") === null
          && /succeeded/i.test(badge.textContent)) {
        sessionStorage.setItem("shownAt", String(Date.now()));
      }
    };
    look();
    new MutationObserver(look).observe(badge, {
      childList: true, characterData: true, subtree: true,
    });
  };
  document.addEventListener("DOMContentLoaded", note);
})();
"""


SHOWN = "sessionStorage.getItem('shownAt')"
FINISHED_PAGE = """
document.readyState === "complete"
  && document.querySelector("script[data-status-url]").dataset.active === "0"
  || null
"""


def main() -> None:
    cli = parser(__doc__ or "")
    cli.add_argument("--repeats", type=int, default=7, help="rounds (default 7)")
    cli.add_argument("--child", action="store_true")
    args = cli.parse_args()
    repeats = 2 if args.quick else max(1, args.repeats)
    if args.child:
        child(repeats)
        return
    os.environ["CATENA_BENCH_REPEATS"] = str(repeats)
    figures = embedded_child(__file__, "run-page", quick=False)
    report(figures)
    emit(figures, args.json)


def report(figures: dict[str, Any]) -> None:
    rows = [
        [
            "run's end -> 'succeeded' shown on its page (limit: 0)",
            f"{figures['shown_ms']:.0f} ms",
            f"{figures['shown_max_ms']:.0f} ms",
        ],
        [
            "for scale: a load of the finished run's page",
            f"{figures['load_ms']:.0f} ms",
            f"{figures['load_max_ms']:.0f} ms",
        ],
        ["the run itself (received -> finished)", f"{figures['run_ms']:.0f} ms", ""],
    ]
    print(table(["", "median", "largest"], rows))
    print(
        f"{figures['rounds']} rounds of {ROWS:,} rows; the page opened while the run "
        f"was active in {figures['active_at_open']} of them"
    )


def child(repeats: int) -> None:
    repeats = int(os.environ.get("CATENA_BENCH_REPEATS", repeats))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from api import Site

    user = demo_install()
    site = Site(user)
    try:
        result = measure(site, user, repeats)
    finally:
        site.stop()
    print(json.dumps(result))


def measure(site: Any, user: Any, repeats: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    base = str(site.client.base_url).rstrip("/")
    name, value = session_cookie(user)
    shown, loads, runs, active = [], [], [], 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            context = browser.new_context()
            context.add_cookies([{"name": name, "value": value, "url": base}])
            context.add_init_script(SHOWN_NOTE)
            page = context.new_page()
            for counted in [False] + [True] * repeats:  # a warm-up round first
                body = site.body(site.frame(ROWS))
                answer = site.client.post("/api/runs/", json=body)
                answer.raise_for_status()
                run_id = answer.json()["id"]
                page.goto(f"{base}/runs/{run_id}/", wait_until="commit")
                shown_at = float(page_value(page, SHOWN))
                was_active = page_value(page, "sessionStorage.getItem('firstActive')")
                # The page reloaded with the run ended (or never had to).
                page_value(page, FINISHED_PAGE)
                page.evaluate("sessionStorage.clear()")
                run = site.client.get(f"/api/runs/{run_id}/").json()
                if run["status"] != "succeeded":
                    raise RuntimeError(f"run {run_id}: {run['status']}")
                finished = datetime.fromisoformat(run["finished_at"]).timestamp()
                received = datetime.fromisoformat(
                    run.get("received_at") or run["created_at"]
                ).timestamp()
                page.goto(f"{base}/runs/{run_id}/")
                load = page.evaluate(
                    "performance.getEntriesByType('navigation')[0]"
                    ".domContentLoadedEventEnd"
                )
                page.evaluate("sessionStorage.clear()")
                if not counted:
                    continue
                shown.append(shown_at - finished * 1000)
                loads.append(float(load))
                runs.append((finished - received) * 1000)
                active += was_active == "1"
        finally:
            browser.close()
    return {
        "rounds": repeats,
        "rows": ROWS,
        "shown_ms": statistics.median(shown),
        "shown_max_ms": max(shown),
        "load_ms": statistics.median(loads),
        "load_max_ms": max(loads),
        "run_ms": statistics.median(runs),
        "active_at_open": active,
    }


def page_value(page: Any, expression: str, timeout: float = 60.0) -> Any:
    """The expression's value once it is not null, looked at every 20 ms (the
    page notes its moments itself; a reload may be under way)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = page.evaluate(expression)
        except Error:  # the page reloading
            found = None
        if found is not None:
            return found
        time.sleep(0.02)
    raise RuntimeError(f"the run page never had {expression}")


if __name__ == "__main__":
    main()
