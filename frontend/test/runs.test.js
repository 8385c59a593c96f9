import assert from "node:assert/strict";
import { test } from "node:test";
import { chainRuns, datasetValue, mergeRunNodes, nodeMap, progressOf, targetOf } from "../src/runs/runs.js";

test("node rows are keyed by node id whatever the API's shape", () => {
  assert.deepEqual(nodeMap({ nodes: { a: "done" } }), { a: { status: "done" } });
  assert.deepEqual(nodeMap({ nodes: [{ node_id: "a", status: "failed" }] }), { a: { node_id: "a", status: "failed" } });
});

test("the run detail completes the status poll's rows", () => {
  const merged = mergeRunNodes({ nodes: { a: "done" } }, { nodes: [{ node_id: "a", seconds: 1 }] });
  assert.deepEqual(merged, { a: { status: "done", node_id: "a", seconds: 1 } });
});

test("progress comes from the API's figures, else from node statuses", () => {
  assert.equal(progressOf({ progress: 50 }, {}), 0.5);
  assert.equal(progressOf({ status: "succeeded" }, {}), 1);
  assert.equal(progressOf({}, { a: { status: "done" }, b: { status: "running" } }), 0.5);
});

test("the chain's runs come newest first, data set ids as numbers", () => {
  const runs = [{ id: 1, chain: "iris" }, { id: 3, chain: { name: "iris" } }, { id: 2, chain: "other" }];
  assert.deepEqual(chainRuns(runs, "iris").map((r) => r.id), [3, 1]);
  assert.equal(datasetValue("12"), 12);
  assert.equal(datasetValue("sales"), "sales");
});

test("the chosen data set's target column goes to validation, none when unlabelled", () => {
  const list = [{ id: 3, name: "a", target: "sales" }, { id: 4, name: "b", target: "" }];
  assert.equal(targetOf(list, "3"), "sales");
  assert.equal(targetOf(list, "4"), "");
  assert.equal(targetOf(list, ""), "");
});
