"""Benchmark: the canvas editor on a 300-node, 400-edge chain, in Chromium.

Runs its own server on its own SQLite database under ``var/bench-editor`` (made
on the first run), never on yours, and drives Debian's Chromium with Playwright.

    .venv/bin/python bench/editor.py [--json] [--quick]

Figures (median of the rounds):

- **open**: navigation start until the canvas is interactive (every node the
  viewport shows is rendered and measured, palette loaded, handlers bound);
  **open+checked** adds the first validation's problems and schemas on screen;
- **validate**: a node renamed (Enter in the inspector) until the server's
  problems for the new graph are on screen; it includes the editor's 100 ms
  debounce, and **validate request** is the POST /api/validate round trip alone;
- **save**: Enter in the save dialog until "Saved version N" is shown (POST
  versions: validation, canonical hash, insert), and **save request** alone.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import _common  # noqa: F401 - puts the repository root on sys.path
from _common import ROOT, emit, parser, table

VAR = "var/bench-editor"
CHAIN = "bench-300"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def big_document(nodes: int = 300, edges: int = 400) -> dict[str, Any]:
    """in -> t0 -> t1 -> ... -> out; every third node a combine of two parents.

    Transforms pass their single column "v" on; a combine averages its two
    parents' "v" (fan-in names them "tK.v") back into one "v"; the output takes
    the last three nodes. Laid out 20 nodes a row.
    """
    middle = nodes - 2
    ids = [f"t{k}" for k in range(middle)]
    graph_nodes = [
        {"id": "in", "kind": "input", "params": {"schema": [["v", "float"]]}}
    ]
    links = [["in", ids[0]]]
    combines = {k for k in range(2, middle, 3)}
    for k, node_id in enumerate(ids):
        if k in combines:
            params = {"method": "mean", "name": "v"}
            graph_nodes.append({"id": node_id, "kind": "combine", "params": params})
            links.append([ids[k - 2], node_id])
        else:
            graph_nodes.append(
                {"id": node_id, "kind": "transform", "params": {"ops": []}}
            )
        if k:
            links.append([ids[k - 1], node_id])
    graph_nodes.append({"id": "out", "kind": "output", "params": {}})
    links += [[ids[-i], "out"] for i in range(1, 4 + edges - len(links) - 3)]
    layout = {
        n["id"]: [40 + 220 * (i % 20), 40 + 130 * (i // 20)]
        for i, n in enumerate(graph_nodes)
    }
    assert len(graph_nodes) == nodes, len(graph_nodes)
    assert len(links) == edges, len(links)
    return {
        "format": "catena.chain/1",
        "nodes": graph_nodes,
        "edges": links,
        "layout": layout,
    }


def setup_django() -> None:
    os.environ["CATENA_VAR_DIR"] = VAR
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / VAR / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def chain_install() -> Any:
    """The bench user and a chain whose latest version is the big document."""
    from django.contrib.auth import get_user_model

    from builder import selectors, services
    from builder.models import Chain

    user, _ = get_user_model().objects.get_or_create(username="bench")
    chain = Chain.objects.filter(name=CHAIN).first()
    if chain is None:
        chain = services.chain_create(name=CHAIN, owner=user, title="300 nodes")
    latest = selectors.chain_version_latest(chain=chain)
    if latest is None or latest.document["nodes"] != big_document()["nodes"]:
        services.chain_version_save(chain=chain, document=big_document(), user=user)
    services.chain_draft_delete(chain=chain, user=user)
    return user


def session_cookie(user: Any) -> tuple[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[
        settings.SESSION_COOKIE_NAME
    ].value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
    command += ["--noreload", "--nothreading"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the bench server did not start")


# In the page: resolve with performance.now() once a condition holds.
WHEN = """(condition) => new Promise((resolve) => {
  const check = new Function("return (" + condition + ")");
  const tick = () =>
    check() ? resolve(performance.now()) : requestAnimationFrame(tick);
  tick();
})"""
INTERACTIVE = (
    "window.catenaEditor && document.querySelector('.palette-item') &&"
    " document.querySelectorAll('.react-flow__node').length > 0 &&"
    " !document.querySelector('.react-flow__node[style*=\"visibility: hidden\"]')"
)
CHECKED = "window.catenaEditor && window.catenaEditor.settled()"
MARK = """() => {
  window.__mark = null;
  addEventListener("keydown", (e) => {
    if (e.key === "Enter" && window.__mark === null) window.__mark = performance.now();
  }, { capture: true, once: true });
}"""


def measure_open(page: Any, url: str) -> tuple[float, float]:
    page.goto(url, wait_until="commit")
    interactive = page.evaluate(WHEN, INTERACTIVE)
    checked = page.evaluate(WHEN, CHECKED)
    return interactive, checked


def measure_edit(page: Any, round_no: int) -> dict[str, float]:
    target = "t10" if round_no % 2 == 0 else "t10x"
    renamed = "t10x" if round_no % 2 == 0 else "t10"
    page.locator(f'.react-flow__node[data-id="{target}"]').click()
    name = page.get_by_label("Node name", exact=True)
    name.fill(renamed)
    page.evaluate(MARK)
    name.press("Enter")
    done = page.evaluate(
        WHEN,
        CHECKED
        + " && window.catenaEditor.document().nodes.some(n => n.id === '"
        + renamed
        + "')",
    )
    validate = done - page.evaluate("window.__mark")
    validate_request = page.evaluate("window.catenaEditor.stats().validateMs")
    page.keyboard.press("Control+s")
    message = page.get_by_label("Message")
    message.fill(f"bench round {round_no}")
    page.evaluate(MARK)
    message.press("Enter")
    saved = page.evaluate(
        WHEN,
        "/Saved version/.test("
        "document.querySelector('[data-testid=toast]').textContent)",
    )
    save = saved - page.evaluate("window.__mark")
    save_request = page.evaluate("window.catenaEditor.stats().saveMs")
    page.evaluate("document.querySelector('[data-testid=toast]').textContent = ''")
    return {
        "validate": validate,
        "validate_request": validate_request,
        "save": save,
        "save_request": save_request,
    }


def run(rounds: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    user = chain_install()
    cookie = session_cookie(user)
    port = free_port()
    server = server_start(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": base}])
            page = context.new_page()
            page.on("dialog", lambda d: d.accept())
            url = f"{base}/chains/{CHAIN}/edit"
            measure_open(page, url)  # warm-up: server caches, browser code cache
            opens = [measure_open(page, url) for _ in range(rounds)]
            edits = [measure_edit(page, i) for i in range(rounds)]
            browser.close()
    finally:
        server.terminate()
        server.wait()
    med = statistics.median
    return {
        "nodes": 300,
        "edges": 400,
        "rounds": rounds,
        "open_ms": med(o[0] for o in opens),
        "open_checked_ms": med(o[1] for o in opens),
        "validate_ms": med(e["validate"] for e in edits),
        "validate_request_ms": med(e["validate_request"] for e in edits),
        "save_ms": med(e["save"] for e in edits),
        "save_request_ms": med(e["save_request"] for e in edits),
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    setup_django()
    figures = run(rounds=2 if args.quick else 7)
    goals = {"open_ms": 1500, "validate_ms": 300, "save_ms": 300}
    rows = [
        ["open until interactive", figures["open_ms"], goals["open_ms"]],
        ["open until checked", figures["open_checked_ms"], "-"],
        ["validate after one edit", figures["validate_ms"], goals["validate_ms"]],
        ["  POST /api/validate alone", figures["validate_request_ms"], "-"],
        ["save", figures["save_ms"], goals["save_ms"]],
        ["  POST versions alone", figures["save_request_ms"], "-"],
    ]
    print(f"300 nodes, 400 edges; median of {figures['rounds']} rounds")
    print(table(["step", "ms", "goal ms"], rows))
    emit(figures, args.json)


if __name__ == "__main__":
    main()
