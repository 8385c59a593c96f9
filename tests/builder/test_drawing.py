from __future__ import annotations

from builder.drawing import MARGIN, NODE_HEIGHT, NODE_WIDTH, document_drawing
from tests.builder import files


def test_the_saved_layout_places_the_nodes():
    drawing = document_drawing(files.linear())
    places = {b.id: (b.x, b.y) for b in drawing.boxes}
    assert places == {
        "in": (MARGIN, MARGIN),
        "ridge": (MARGIN + 200, MARGIN),
        "out": (MARGIN + 400, MARGIN),
    }
    assert [(a.source, a.target) for a in drawing.arrows] == [
        ("in", "ridge"),
        ("ridge", "out"),
    ]
    assert drawing.width == MARGIN + 400 + NODE_WIDTH + MARGIN


def test_nodes_without_positions_are_laid_out_in_topological_layers():
    drawing = document_drawing(files.stacked())
    columns = {b.id: b.x for b in drawing.boxes}
    assert (
        columns["in"] < columns["r1"] == columns["r2"] < columns["avg"] < columns["out"]
    )
    rows = {b.id: b.y for b in drawing.boxes}
    assert rows["r2"] - rows["r1"] > NODE_HEIGHT


def test_a_model_box_is_labelled_with_its_reference():
    labels = {b.id: b.label for b in document_drawing(files.stacked()).boxes}
    assert labels["r2"] == "sales-ridge@production"
    assert labels["avg"] == "combine"


def test_a_cycle_still_draws():
    doc = files.linear()
    doc["layout"] = {}
    doc["edges"].append(["out", "in"])
    assert len(document_drawing(doc).boxes) == 3


def test_an_empty_document_draws_nothing():
    drawing = document_drawing({"format": "catena.chain/1"})
    assert drawing.boxes == []
    assert drawing.arrows == []
