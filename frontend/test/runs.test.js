import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chainRuns, continuation, currentRun, datasetValue, mergeRunNodes, nextPollDelay, nodeMap, POLL_GAP_MS, POLL_MS, progressOf, runLabel,
  statusWaitUrl, targetOf, upstreamOf, variantBases, variantsFormUrl,
} from "../src/runs/runs.js";

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

// in -> (a, b) -> both -> out
const FAN = [["in", "a"], ["in", "b"], ["a", "both"], ["b", "both"], ["both", "out"]];

test("a run up to a node computes the node and everything upstream of it", () => {
  assert.deepEqual([...upstreamOf(FAN, "a")].sort(), ["a", "in"]);
  assert.deepEqual([...upstreamOf(FAN, "both")].sort(), ["a", "b", "both", "in"]);
  assert.deepEqual([...upstreamOf(FAN, "in")], ["in"]);
  assert.deepEqual([...upstreamOf([["x", "y"], ["y", "x"]], "x")].sort(), ["x", "y"]);
});

test("variants start from succeeded runs of the version that computed the node, newest first", () => {
  const runs = [
    { id: 1, version: 2, status: "succeeded", until: "" },
    { id: 2, version: 2, status: "succeeded", until: "a" },
    { id: 3, version: 2, status: "succeeded", until: "both" },
    { id: 4, version: 2, status: "failed", until: "" },
    { id: 5, version: 1, status: "succeeded", until: "" },
    { id: 6, version: 2, status: "running", until: "" },
    { id: 7, version: 2, status: "succeeded", until: "out" },
  ];
  assert.deepEqual(variantBases(runs, { version: 2, nodeId: "both", edges: FAN }).map((r) => r.id), [7, 3, 1]);
  assert.deepEqual(variantBases(runs, { version: "2", nodeId: "a", edges: FAN }).map((r) => r.id), [7, 3, 2, 1]);
  assert.deepEqual(variantBases(runs, { version: 3, nodeId: "a", edges: FAN }), []);
  assert.deepEqual(variantBases(undefined, { version: 2, nodeId: "a", edges: FAN }), []);
});

test("the history names a partial run's node and the run a continuation continues", () => {
  assert.equal(runLabel({ id: 4, version: 2, status: "succeeded", until: "a", continues: null }), "#4 · v2 · succeeded · up to a");
  assert.equal(runLabel({ id: 5, version: 2, status: "running", until: "", continues: 4 }), "#5 · v2 · running · continues #4");
  assert.equal(runLabel({ id: 6, version: 1, status: "failed" }), "#6 · v1 · failed");
});

test("only a succeeded partial run is continued, and once continued it links to the next", () => {
  const partial = { id: 4, until: "a", status: "succeeded" };
  assert.deepEqual(continuation(partial, []), { canContinue: true, continuedBy: null });
  assert.deepEqual(continuation({ ...partial, status: "running" }, []), { canContinue: false, continuedBy: null });
  assert.deepEqual(continuation({ id: 3, until: "", status: "succeeded" }, []), { canContinue: false, continuedBy: null });
  assert.deepEqual(continuation(partial, [{ id: 5, continues: 4 }, { id: 9, continues: 4 }, { id: 7, continues: 1 }]), { canContinue: true, continuedBy: 9 });
  assert.deepEqual(continuation(null, []), { canContinue: false, continuedBy: null });
});

test("the shown run is the history's row completed by its detail and the polled status", () => {
  const runs = [{ id: 4, status: "running", until: "a" }];
  assert.deepEqual(currentRun(runs, "4", null, "succeeded"), { id: 4, status: "succeeded", until: "a" });
  assert.deepEqual(currentRun(runs, "4", { id: 4, continues: null, status: "succeeded" }, null), { id: 4, status: "succeeded", until: "a", continues: null });
  assert.deepEqual(currentRun(runs, "4", { id: 3, until: "" }, null), { id: 4, status: "running", until: "a" });
  assert.equal(currentRun(runs, "8", null, "running"), null);
  assert.equal(currentRun(runs, null, null, null), null);
});

test("Try variants opens the run page's form of the node", () => {
  assert.equal(variantsFormUrl("/runs/12/", "stack"), "/runs/12/?experiment_node=stack");
  assert.equal(variantsFormUrl("/runs/12/", "a&b"), "/runs/12/?experiment_node=a%26b");
});

test("a status request waits on the server for the end, up to one poll", () => {
  assert.equal(statusWaitUrl("/api/runs/7/status"), `/api/runs/7/status?wait=${POLL_MS / 1000}`);
  assert.equal(statusWaitUrl("/x/status?a=1"), `/x/status?a=1&wait=${POLL_MS / 1000}`);
});

test("after a request that waited the next look is soon, else after the rest of a poll", () => {
  assert.equal(nextPollDelay(POLL_MS + 3), POLL_GAP_MS);
  assert.equal(nextPollDelay(POLL_MS), POLL_GAP_MS);
  assert.equal(nextPollDelay(20), POLL_MS - 20);
});
