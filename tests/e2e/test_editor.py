"""The canvas editor as a user sees it: draw, check, fix, save, undo, reload."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from builder import services
from builder.models import ChainDraft, ChainVersion
from catena import problems
from runner.services.datasets import dataset_create_from_frame
from tests.e2e.conftest import (
    connect,
    document,
    drop,
    edges_of,
    logged_in_context,
    node,
    open_editor,
    problem_count,
    quiesce,
    requests_in_flight,
    settle,
    shoot,
    toast,
    viewport_still,
)

pytestmark = pytest.mark.e2e

IRIS_INPUT = [
    ["sepal_len", "float"],
    ["sepal_wid", "float"],
    ["petal_len", "float"],
    ["petal_wid", "float"],
]
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
MAPPING = {f: c[0] for f, c in zip(IRIS_FEATURES, IRIS_INPUT, strict=True)}


def iris_chain(user, *, name="iris", saved=True):
    """in(sepal_len, ...) -> out, saved as version 1 unless ``saved`` is false."""
    chain = services.chain_create(name=name, owner=user, title="Iris")
    if saved:
        document = {
            "format": "catena.chain/1",
            "nodes": [
                {"id": "in", "kind": "input", "params": {"schema": IRIS_INPUT}},
                {"id": "out", "kind": "output", "params": {}},
            ],
            "edges": [["in", "out"]],
            "layout": {"in": [60, 200], "out": [560, 200]},
        }
        services.chain_version_save(chain=chain, document=document, user=user)
    return chain


def test_demo_stacked_chain_is_built_from_an_empty_canvas_by_dragging_and_connecting(
    page, demo_models
):
    page.goto("/chains/new")
    page.fill("input[name=name]", "sales-stack")
    page.fill("input[name=title]", "Sales, stacked")
    page.get_by_role("button", name="Create and open the editor").click()
    page.wait_for_url("**/chains/sales-stack/edit")
    open_editor(page, "sales-stack")
    shoot(page, "01-empty-canvas")

    inp = drop(page, "input", 110, 90)
    node(page, inp).click()
    page.get_by_label("Take the columns of a model's features").select_option(
        "sales-encoder"
    )
    page.get_by_role("button", name="Use", exact=True).click()
    enc = drop(page, "model:sales-encoder", 370, 90)
    scale = drop(page, "model:sales-scaler", 630, 90)
    ridge = drop(page, "model:sales-ridge", 110, 300)
    forest = drop(page, "model:sales-forest", 370, 300)
    boost = drop(page, "model:sales-boost", 630, 300)
    stack = drop(page, "model:sales-stacker", 240, 500)
    out = drop(page, "output", 500, 500)
    wires = [
        (inp, enc),
        (enc, scale),
        (scale, ridge),
        (scale, forest),
        (scale, boost),
        (ridge, stack),
        (forest, stack),
        (boost, stack),
        (stack, out),
    ]
    for source, target in wires:
        connect(page, source, target)
    settle(page)
    assert edges_of(page) == sorted([list(w) for w in wires])
    assert problem_count(page) == 0
    params = {n["id"]: n["params"] for n in document(page)["nodes"]}
    assert params[enc]["method"] == "transform"
    assert params[scale]["method"] == "transform"
    assert params[inp]["schema"][0] == ["temperature", "float"]
    layout(page)
    shoot(page, "02-stacked-chain-built")

    page.keyboard.press("Control+s")
    page.get_by_label("Message").fill("stacked from scratch")
    page.keyboard.press("Enter")
    toast(page, "Saved version 1")
    saved = ChainVersion.objects.get(chain__name="sales-stack")
    assert saved.number == 1
    assert sorted(saved.document["edges"]) == sorted([list(w) for w in wires])


def test_cycles_and_self_loops_are_refused_while_dragging(page, demo_models):
    iris_chain(page_user(page))
    open_editor(page, "iris")
    tree = drop(page, "model:iris-tree", 330, 120)
    fit = drop(page, "transform", 330, 420)
    layout(page)
    connect(page, "in", tree)
    connect(page, tree, fit)
    before = edges_of(page)
    assert [tree, fit] in before

    # The press comes once the problems of the graph as it is are shown: a
    # node re-drawn with them under a pressed handle loses the drag.
    settle(page)
    viewport_still(page)
    source = node(page, fit).locator(".react-flow__handle.source")
    source.hover()
    handle = source.bounding_box()
    page.mouse.down()
    page.mouse.move(handle["x"] + 60, handle["y"] + 80, steps=5)
    # While the wire is dragged, the inputs it may reach are highlighted.
    expect(node(page, "out").locator(".step")).to_have_class(
        re.compile(r"\bcan-connect\b")
    )
    expect(node(page, tree).locator(".step")).to_have_class(
        re.compile(r"\bcannot-connect\b")
    )
    expect(node(page, "in").locator(".step")).to_have_class(
        re.compile(r"\bcannot-connect\b")
    )
    shoot(page, "03-wire-dragged-targets-highlighted")
    page.mouse.up()

    connect(page, fit, tree)
    connect(page, tree, tree)
    assert edges_of(page) == before


def layout(page):
    """Auto-layout (no node overlaps another), then wait for the fit animation."""
    page.keyboard.press("l")
    page.wait_for_timeout(100)  # the fit starts 30 ms after the layout
    viewport_still(page)


def page_user(page):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="editor")


def test_mismatched_edge_is_red_with_missing_features_and_one_click_fix_makes_it_valid(
    page, demo_models
):
    iris_chain(page_user(page))
    open_editor(page, "iris")
    tree = drop(page, "model:iris-tree", 330, 330)
    connect(page, "in", tree)
    connect(page, tree, "out")
    settle(page)

    label = page.locator(f'.edge-problem[data-edge="in->{tree}"]')
    expect(label).to_contain_text("missing features upstream")
    for feature in IRIS_FEATURES:
        expect(label).to_contain_text(feature)
    path = page.locator(f'.react-flow__edge[data-id="in->{tree}"] path.edge-bad')
    expect(path).to_have_count(1)
    assert problem_count(page) >= 1
    shoot(page, "04-mismatched-edge-red")

    label.get_by_role("button", name=f"Fix the columns from in to {tree}").click()
    dialog = page.get_by_role("dialog")
    for feature, column in zip(IRIS_FEATURES, IRIS_INPUT, strict=True):
        select = dialog.get_by_label(f"Column for feature {feature}")
        expect(select).to_have_value(column[0])
    shoot(page, "05-fix-mapping-prefilled")
    dialog.get_by_role("button", name="Apply the column mapping").click()
    settle(page)

    assert problem_count(page) == 0
    expect(page.locator(".edge-problem")).to_have_count(0)
    params = {n["id"]: n["params"] for n in document(page)["nodes"]}[tree]
    assert params["columns"] == MAPPING
    shoot(page, "06-mismatch-fixed")


def test_save_creates_version_1_and_an_unchanged_save_creates_none(page, demo_models):
    """Built with the keyboard alone: palette entries, inspector, Ctrl+S."""
    iris_chain(page_user(page), saved=False)
    open_editor(page, "iris")
    expect(page.get_by_test_id("version")).to_have_text("not saved")

    page.locator('[data-palette="input"]').press("Enter")
    page.get_by_label("Take the columns of a model's features").select_option(
        "iris-tree"
    )
    page.get_by_role("button", name="Use", exact=True).press("Enter")
    page.locator('[data-palette="model:iris-tree"]').press("Enter")
    page.locator('[data-palette="output"]').press("Enter")
    settle(page)
    assert edges_of(page) == [["input", "iris-tree"], ["iris-tree", "output"]]
    assert problem_count(page) == 0

    page.keyboard.press("Control+s")
    page.get_by_label("Message").fill("first")
    page.get_by_label("Message").press("Enter")
    toast(page, "Saved version 1")
    expect(page.get_by_test_id("version")).to_have_text("version 1")
    expect(page.get_by_test_id("unsaved")).to_have_count(0)
    shoot(page, "07-saved-version-1")

    page.keyboard.press("Control+s")
    page.get_by_label("Message").press("Enter")
    toast(page, "No changes since version 1")
    versions = ChainVersion.objects.filter(chain__name="iris")
    assert [(v.number, v.message) for v in versions] == [(1, "first")]


def test_undo_and_redo_restore_exact_states(page, demo_models):
    iris_chain(page_user(page))
    open_editor(page, "iris")
    states = [document(page)]

    tree = drop(page, "model:iris-tree", 330, 330)
    states.append(document(page))
    connect(page, "in", tree)
    states.append(document(page))
    node(page, tree).click()
    page.get_by_label("Method").select_option("predict_proba")
    states.append(document(page))
    box = node(page, "out").bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + 140, steps=8)
    page.mouse.up()
    states.append(document(page))
    node(page, "out").click()
    page.keyboard.press("Delete")
    states.append(document(page))
    assert len({str(s) for s in states}) == len(states)

    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    for expected in reversed(states[:-1]):
        page.keyboard.press("Control+z")
        assert document(page) == expected
    page.keyboard.press("Control+z")
    assert document(page) == states[0]
    for expected in states[1:]:
        page.keyboard.press("Control+Shift+z")
        assert document(page) == expected
    shoot(page, "08-after-redo")


def test_reload_restores_the_draft_and_leaving_asks_first(page, demo_models):
    iris_chain(page_user(page))
    open_editor(page, "iris")
    tree = drop(page, "model:iris-tree", 330, 330)
    connect(page, "in", tree)
    edited = document(page)
    page.wait_for_function("window.catenaEditor.draftSaved()")

    # The server keeps the draft: a cleared browser (another tab, another
    # machine) gets it back as well.
    page.evaluate("localStorage.clear()")
    asked = []
    page.on("dialog", lambda d: (asked.append(d.type), d.accept()))
    page.reload()
    open_editor_after_reload(page)
    assert asked == ["beforeunload"]
    assert document(page) == edited
    expect(page.locator(".draft-note")).to_contain_text("Restored your unsaved draft")
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    shoot(page, "09-draft-restored")


def test_undoing_back_to_the_saved_version_leaves_no_draft_to_restore(
    page, demo_models
):
    iris_chain(page_user(page))
    open_editor(page, "iris")
    saved = document(page)
    node(page, "out").click()
    page.keyboard.press("Delete")
    page.wait_for_function("window.catenaEditor.draftSaved()")
    drafts = ChainDraft.objects.filter(chain__name="iris")
    assert drafts.count() == 1

    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    assert document(page) == saved
    expect(page.get_by_test_id("unsaved")).to_have_count(0)
    for _ in range(100):
        if not drafts.exists():
            break
        time.sleep(0.05)
    assert not drafts.exists()

    page.reload()
    page.wait_for_function("window.catenaEditor !== undefined")
    settle(page)
    assert document(page) == saved
    expect(page.locator(".draft-note")).to_have_count(0)
    expect(page.get_by_test_id("unsaved")).to_have_count(0)


def open_editor_after_reload(page):
    page.wait_for_function("window.catenaEditor !== undefined")
    expect(page.locator(".draft-note")).to_be_visible()
    settle(page)


def test_copy_paste_and_export_import_round_trip(page, demo_models, tmp_path):
    iris_chain(page_user(page))
    open_editor(page, "iris")
    original = document(page)

    page.keyboard.press("Control+a")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    pasted = document(page)
    assert [n["id"] for n in pasted["nodes"]] == ["in", "out", "in-2", "out-2"]
    assert ["in-2", "out-2"] in pasted["edges"]
    assert pasted["layout"]["in-2"] == [x + 40 for x in pasted["layout"]["in"]]
    assert pasted["nodes"][2]["params"] == pasted["nodes"][0]["params"]

    with page.expect_download() as download:
        page.get_by_role("button", name="Export the graph document").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported == pasted

    # The server's export of version 1 imports as its document.
    manifest = page.request.get("/api/chains/iris/versions/1/export").json()
    path = tmp_path / "iris-v1.json"
    path.write_text(json.dumps(manifest))
    page.get_by_label("Graph document to import").set_input_files(path)
    toast(page, "Imported 2 nodes")
    assert document(page) == original
    page.keyboard.press("Control+z")
    assert document(page) == pasted


def test_mistyped_edge_is_fixed_by_inserting_a_cast_transform(page, demo_models):
    chain = services.chain_create(name="iris", owner=page_user(page), title="Iris")
    schema = [[f, "str" if f == "petal_width" else "float"] for f in IRIS_FEATURES]
    services.chain_draft_save(
        chain=chain,
        user=page_user(page),
        document={
            "format": "catena.chain/1",
            "nodes": [
                {"id": "in", "kind": "input", "params": {"schema": schema}},
                {"id": "tree", "kind": "model", "params": {"model": "iris-tree"}},
                {"id": "out", "kind": "output", "params": {}},
            ],
            "edges": [["in", "tree"], ["tree", "out"]],
            "layout": {"in": [60, 200], "tree": [360, 200], "out": [660, 200]},
        },
    )
    open_editor(page, "iris")
    label = page.locator('.edge-problem[data-edge="in->tree"]')
    expect(label).to_contain_text("'petal_width' needs float")
    label.get_by_role("button", name="Fix the columns from in to tree").click()
    fix = "Insert a cast transform (petal_width → float)"
    page.get_by_role("button", name=fix).click()
    settle(page)

    assert problem_count(page) == 0
    cast = next(n for n in document(page)["nodes"] if n["kind"] == "transform")
    ops = [{"op": "cast", "columns": {"petal_width": "float"}}]
    assert cast["params"] == {"ops": ops}
    assert edges_of(page) == sorted(
        [["in", cast["id"]], [cast["id"], "tree"], ["tree", "out"]]
    )


def test_the_data_set_picker_offers_and_chooses_the_sets_that_fit_the_input(
    page, demo_models
):
    user = page_user(page)
    iris_chain(user)
    columns = {column: [1.0] for column, _ in IRIS_INPUT}
    fits = dataset_create_from_frame(
        name="flowers", df=pd.DataFrame(columns), owner=user
    )
    # Newer, so it would come first if fit did not count.
    dataset_create_from_frame(
        name="prices", df=pd.DataFrame({"price": [1.0]}), owner=user
    )
    open_editor(page, "iris")

    picker = page.get_by_label("Data set", exact=True)
    options = picker.locator("option")
    expect(options).to_have_count(3)
    expect(options.nth(1)).to_have_text("flowers (1 rows)")
    expect(options.nth(2)).to_contain_text("prices (1 rows), lacks sepal_len")
    expect(picker).to_have_value(str(fits.id))


def test_palette_search_shortcuts_sheet_and_a_picked_problem_selects_its_node(
    page, demo_models
):
    iris_chain(page_user(page))
    open_editor(page, "iris")
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("?")
    sheet = page.get_by_role("dialog")
    expect(sheet).to_contain_text("Keyboard shortcuts")
    expect(sheet).to_contain_text("Ctrl+Shift+Z")
    page.keyboard.press("Escape")
    expect(sheet).to_have_count(0)

    page.keyboard.press("/")
    expect(page.get_by_label("Search the palette")).to_be_focused()
    page.keyboard.type("tree")
    shown = page.locator("[data-palette]:visible")
    expect(shown.first).to_have_attribute("data-palette", "model:iris-tree")
    assert all(
        "iris-tree" in (e.get_attribute("data-palette") or "") for e in shown.all()
    )
    expect(page.locator('[data-palette="model:iris-nb"]')).to_have_count(0)
    page.locator('[data-palette="model:iris-tree"]').press("Enter")
    settle(page)
    (tree,) = [n["id"] for n in document(page)["nodes"] if n["kind"] == "model"]
    expect(page.locator(".react-flow__minimap")).to_be_visible()

    # The tree gets no columns it needs; picking its problem selects it.
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    expect(node(page, tree)).not_to_have_class(re.compile(r"\bselected\b"))
    problem = page.get_by_role("region", name="Problems").get_by_role(
        "button", name=re.compile(f"^{tree}")
    )
    problem.first.press("Enter")
    expect(node(page, tree)).to_have_class(re.compile(r"\bselected\b"))
    expect(page.get_by_label("Node name", exact=True)).to_have_value(tree)


def test_a_teammate_sees_the_chain_read_only(page, demo_models):
    from tests.factories import UserFactory

    iris_chain(UserFactory(username="owner"))
    open_editor(page, "iris")
    before = document(page)

    expect(page.get_by_text("read only")).to_be_visible()
    save = page.get_by_role("button", name="Save a new version (Ctrl+S)")
    expect(save).to_be_disabled()
    expect(page.locator('[data-palette="input"]')).to_be_disabled()
    node(page, "out").click()
    expect(page.get_by_label("Node name", exact=True)).to_be_disabled()
    page.keyboard.press("Delete")
    page.keyboard.press("Control+v")
    assert document(page) == before
    expect(page.get_by_test_id("unsaved")).to_have_count(0)


def test_a_tab_closed_right_after_an_edit_loses_nothing(
    page, browser, live_server, editor_user, demo_models
):
    iris_chain(editor_user)
    open_editor(page, "iris")
    node(page, "in").click()
    page.get_by_label("Column 1 name").fill("sepal_length")
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    edited = document(page)
    page.close()  # at once: the debounced draft is not written yet
    drafts = ChainDraft.objects.filter(chain__name="iris", user=editor_user)
    for _ in range(100):
        if any(d.document == edited for d in drafts):
            break
        time.sleep(0.05)

    other = logged_in_context(browser, live_server.url, editor_user)
    try:
        fresh = other.new_page()
        inflight = requests_in_flight(fresh)
        fresh.goto("/chains/iris/edit")
        open_editor_after_reload(fresh)
        assert document(fresh) == edited
        quiesce(fresh, inflight)
    finally:
        other.close()


def test_fix_dialog_works_when_every_problem_message_is_reworded(
    page, demo_models, monkeypatch
):
    """The live server runs in this process: its messages become nonsense."""
    monkeypatch.setattr(problems, "MESSAGES", dict.fromkeys(problems.MESSAGES, "?!"))
    chain = services.chain_create(name="iris", owner=page_user(page), title="Iris")
    schema = [["sepal_len", "float"], ["sepal_wid", "float"], ["petal_len", "float"]]
    schema.append(["petal_wid", "str"])
    services.chain_draft_save(
        chain=chain,
        user=page_user(page),
        document={
            "format": "catena.chain/1",
            "nodes": [
                {"id": "in", "kind": "input", "params": {"schema": schema}},
                {"id": "tree", "kind": "model", "params": {"model": "iris-tree"}},
                {"id": "out", "kind": "output", "params": {}},
            ],
            "edges": [["in", "tree"], ["tree", "out"]],
            "layout": {"in": [60, 200], "tree": [360, 200], "out": [660, 200]},
        },
    )
    open_editor(page, "iris")
    label = page.locator('.edge-problem[data-edge="in->tree"]')
    expect(label).to_contain_text("?!")
    label.get_by_role("button", name="Fix the columns from in to tree").click()
    dialog = page.get_by_role("dialog")
    for feature, column in MAPPING.items():
        select = dialog.get_by_label(f"Column for feature {feature}")
        expect(select).to_have_value(column)
    dialog.get_by_role("button", name="Apply the column mapping").click()
    settle(page)

    params = {n["id"]: n["params"] for n in document(page)["nodes"]}["tree"]
    assert params["columns"] == MAPPING
    # petal_wid is still str: now a dtype mismatch, fixed by a cast.
    label.get_by_role("button", name="Fix the columns from in to tree").click()
    cast = "Insert a cast transform (petal_wid → float)"
    page.get_by_role("dialog").get_by_role("button", name=cast).click()
    settle(page)

    assert problem_count(page) == 0
    inserted = next(n for n in document(page)["nodes"] if n["kind"] == "transform")
    assert inserted["params"] == {
        "ops": [{"op": "cast", "columns": {"petal_wid": "float"}}]
    }
