"""The tables a process keeps by key (a parent's output read where it was
written): bounded in entries and in cells, the least recently used dropped."""

from __future__ import annotations

import pandas as pd
import pytest

from runner.store import tables


@pytest.fixture
def kept(monkeypatch):
    monkeypatch.setattr(tables, "RECENT_TABLES", 3)
    monkeypatch.setattr(tables, "RECENT_CELLS", 100)
    return tables._RecentTables()


def frame(cells: int) -> pd.DataFrame:
    return pd.DataFrame({"x": [float(i) for i in range(cells)]})


def test_past_its_entries_the_least_recently_used_table_is_dropped(kept):
    for key in "abc":
        kept.put(key, frame(1))
    kept.get("a")  # now the most recent
    kept.put("d", frame(1))
    assert [k for k in "abcd" if kept.get(k) is not None] == ["a", "c", "d"]


def test_past_its_cells_tables_are_dropped_oldest_first(kept):
    kept.put("a", frame(40))
    kept.put("b", frame(40))
    kept.put("c", frame(40))
    assert (kept.get("a"), kept.cells) == (None, 80)
    assert kept.get("b") is not None
    assert kept.get("c") is not None


def test_a_key_put_again_counts_its_cells_once(kept):
    kept.put("a", frame(30))
    kept.put("a", frame(50))
    assert kept.cells == 50
    assert len(kept.get("a")) == 50


def test_a_table_larger_than_every_cell_kept_is_not_kept(kept):
    kept.put("a", frame(10))
    kept.put("big", frame(101))
    assert (kept.get("big"), kept.cells) == (None, 10)


def test_a_kept_table_changed_by_its_reader_stays_as_written(kept):
    kept.put("a", frame(3))
    got = kept.get("a")
    got["x"] = -1.0
    assert kept.get("a")["x"].tolist() == [0.0, 1.0, 2.0]
    kept.clear()
    assert (kept.get("a"), kept.cells) == (None, 0)
