"""Cache keys: stable, and changed by exactly what changes an output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from catena import steps
from catena.errors import GraphCycleError
from catena.graph import load
from catena.keys import data_hash, lineage_keys, node_keys
from catena.validation import check
from tests.catena import graphs

ROOT = Path(__file__).resolve().parents[2]
FRAME = pd.DataFrame({"x": [1.0, 2.5], "s": ["a", "b"]}, index=[7, 8])

SCRIPT = """
import pandas as pd
import pytest
from catena.errors import GraphCycleError
from catena.graph import load
from catena.keys import data_hash, node_keys
from tests.catena import graphs
frame = pd.DataFrame({"x": [1.0, 2.5], "s": ["a", "b"]}, index=[7, 8])
doc = graphs.fan_in()
select = [{"op": "select", "columns": ["x"]}]
drop = [{"op": "drop", "columns": ["x"]}]
doc["nodes"][1] = graphs.node("double", "transform", ops=select)
doc["nodes"][2] = graphs.node("sum", "transform", ops=drop)
print(data_hash(frame))
print(node_keys(load(doc), {}, data_hash(frame))["out"])
"""


def keys_for(doc, resolver, frame=FRAME):
    graph = load(doc)
    return node_keys(graph, check(graph, resolver).resolved, data_hash(frame))


def run_script(seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_keys_are_stable_across_processes_and_hash_seeds():
    first, second = run_script("1"), run_script("4242")
    assert first == second
    assert len(first) == 2
    assert first[0] == data_hash(FRAME)


def test_data_hash_sees_values_index_names_and_dtypes():
    base = data_hash(FRAME)
    assert data_hash(FRAME.copy()) == base
    assert data_hash(FRAME.assign(x=[1.0, 2.6])) != base
    assert data_hash(FRAME.set_axis([7, 9])) != base
    assert data_hash(FRAME.rename(columns={"x": "y"})) != base
    assert data_hash(FRAME.astype({"x": "float32"})) != base


def test_key_changes_with_params_and_propagates_downstream(resolver):
    before = keys_for(graphs.fan_in(), resolver)
    doc = graphs.fan_in()
    doc["nodes"][2]["params"]["columns"] = {"a": "a", "b": "x"}
    after = keys_for(doc, resolver)
    changed = sorted(node for node in before if before[node] != after[node])
    assert changed == ["avg", "out", "sum"]


def test_key_follows_the_model_sha_not_the_reference(resolver):
    pinned = graphs.linear()
    pinned["nodes"][1]["params"]["version"] = 2
    alias = graphs.linear()
    alias["nodes"][1]["params"]["version"] = "@latest"
    before = keys_for(pinned, resolver)
    assert before == keys_for(alias, resolver)
    resolver.models["doubler"][2] = replace(
        resolver.models["doubler"][2], sha256="f" * 64
    )
    after = keys_for(pinned, resolver)
    assert [n for n in before if before[n] != after[n]] == ["double", "out"]


def test_layout_and_defaults_do_not_change_keys(resolver):
    doc = graphs.linear()
    explicit = graphs.linear()
    explicit["layout"] = {}
    explicit["nodes"][1]["params"]["method"] = "predict"
    assert keys_for(doc, resolver) == keys_for(explicit, resolver)


def test_input_key_comes_from_the_data(resolver):
    other = FRAME.assign(x=[0.0, 0.0])
    a, b = (
        keys_for(graphs.linear(), resolver),
        keys_for(graphs.linear(), resolver, other),
    )
    assert all(a[n] != b[n] for n in a)


def test_keys_of_a_cyclic_graph_raise_with_the_cycle():
    with pytest.raises(GraphCycleError) as info:
        node_keys(load(graphs.cycle()), {}, "0" * 64)
    assert info.value.cycle == ["double", "t"]


ENVIRONMENT = {"numpy": "2.3.1", "pandas": "2.3.0", "scikit-learn": "1.8.0"}


def env_keys(doc, resolver, environment):
    graph = load(doc)
    resolved = check(graph, resolver).resolved
    return node_keys(graph, resolved, data_hash(FRAME), environment=environment)


def test_key_changes_when_a_library_version_in_the_environment_changes(resolver):
    before = env_keys(graphs.linear(), resolver, ENVIRONMENT)
    assert before == env_keys(graphs.linear(), resolver, dict(ENVIRONMENT))
    upgraded = {**ENVIRONMENT, "scikit-learn": "1.9.1"}
    after = env_keys(graphs.linear(), resolver, upgraded)
    assert all(before[n] != after[n] for n in before)


def test_key_changes_when_a_step_kinds_code_version_changes(resolver, monkeypatch):
    before = keys_for(graphs.linear(), resolver)
    original = steps.get
    model = original("model")
    bumped = replace(model, CODE_VERSION=model.CODE_VERSION + 1)
    monkeypatch.setattr(
        steps, "get", lambda kind: bumped if kind == "model" else original(kind)
    )
    after = keys_for(graphs.linear(), resolver)
    assert [n for n in before if before[n] != after[n]] == ["double", "out"]


def test_lineage_keys_ignore_environment_and_code_versions(resolver):
    graph = load(graphs.linear())
    resolved = check(graph, resolver).resolved
    lineage = lineage_keys(graph, resolved, data_hash(FRAME))
    old = node_keys(graph, resolved, data_hash(FRAME), environment=ENVIRONMENT)
    new = node_keys(graph, resolved, data_hash(FRAME), environment={})
    assert old != new
    assert lineage == lineage_keys(graph, resolved, data_hash(FRAME))
    assert set(lineage.values()).isdisjoint(old.values())
