import assert from "node:assert/strict";
import { test } from "node:test";
import { createSequence, edgeText, errorCount, groupProblems, objectiveProblems, problemLinks, problemNode } from "../src/validation/problems.js";

const onEdge = { code: "dtype_mismatch", message: "node 'm': bad", node: "m", edge: ["in", "m"], severity: "error", data: {} };
const warning = { code: "compat_warning", message: "old", node: "m", edge: null, severity: "warning", data: {} };

test("problems are grouped by node and by edge", () => {
  const { byNode, byEdge } = groupProblems([onEdge, warning]);
  assert.deepEqual(byNode.m, [onEdge, warning]);
  assert.deepEqual(byEdge["in->m"], [onEdge]);
});

test("warnings are not errors, and a problem points at its node or its edge's target", () => {
  assert.equal(errorCount([onEdge, warning]), 1);
  assert.equal(problemNode({ node: null, edge: ["a", "b"] }), "b");
});

test("an edge's text is the message as the server wrote it, reworded or not", () => {
  assert.equal(edgeText(onEdge), onEdge.message);
  assert.equal(edgeText({ ...onEdge, message: "?!" }), "?!");
});

test("only the newest validation answer counts", () => {
  const seq = createSequence();
  const first = seq.next();
  const second = seq.next();
  assert.equal(seq.isLatest(first), false);
  assert.equal(seq.isLatest(second), true);
});

test("an optimize node's objective shows the problems named on it, read from data", () => {
  const parse = { code: "bad_params", message: "zzz", node: "opt", data: { path: "objective" } };
  const unknown = { code: "missing_columns", message: "zzz", node: "opt", data: { used_by: "objective" } };
  const other = { code: "bad_bounds", message: "zzz", node: "opt", data: { lower: "x" } };
  assert.deepEqual(objectiveProblems([parse, unknown, other]), [parse, unknown]);
  assert.deepEqual(objectiveProblems(undefined), []);
});

test("a bias warning links to the stacker and to both base versions, read from its fields", () => {
  const moved = {
    code: "stacker_base_moved", message: "reworded", node: "stack", edge: null, severity: "warning",
    data: { model: "sales-stacker", version: 1, base_model: "sales-ridge", trained_version: 3, running_version: 4, base_node: "ridge" },
  };
  assert.deepEqual(problemLinks(moved).map((l) => l.href), [
    "/models/sales-stacker/versions/1/",
    "/models/sales-ridge/versions/3/",
    "/models/sales-ridge/versions/4/",
  ]);
  assert.deepEqual(problemLinks(warning), []);
});
