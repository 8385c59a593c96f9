import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonical,
  connectionProblem,
  datasetsByFit,
  toDocument,
  toFlow,
  uniqueId,
  upstreamColumns,
  wouldCycle,
} from "../src/doc.js";

const doc = {
  format: "catena.chain/1",
  nodes: [
    { id: "in", kind: "input", params: { schema: [["a", "float"]] } },
    { id: "m", kind: "model", params: { model: "x" } },
    { id: "out", kind: "output", params: {} },
  ],
  edges: [["in", "m"], ["m", "out"]],
  layout: { in: [0, 0], m: [200, 0], out: [400, 0] },
};

test("a document survives the round trip through React Flow's form", () => {
  const { nodes, edges } = toFlow(doc);
  assert.deepEqual(toDocument(nodes, edges), doc);
});

test("canonical JSON ignores key order", () => {
  assert.equal(canonical({ b: 1, a: [1, { d: 2, c: 3 }] }), canonical({ a: [1, { c: 3, d: 2 }], b: 1 }));
});

test("an edge that closes a cycle or loops on itself is refused", () => {
  const { nodes, edges } = toFlow(doc);
  assert.equal(wouldCycle(edges, "m", "in"), true);
  assert.equal(wouldCycle(edges, "m", "m"), true);
  assert.equal(wouldCycle(edges, "in", "out"), false);
  assert.match(connectionProblem(nodes, edges, "out", "m"), /output node/);
  assert.match(connectionProblem(nodes, edges, "m", "in"), /input node/);
  assert.match(connectionProblem(nodes, edges, "in", "m"), /already connected/);
  assert.equal(connectionProblem(nodes, edges, "in", "out"), null);
});

test("new node ids are slugs, numbered when taken", () => {
  assert.equal(uniqueId("Sales Ridge!", new Set()), "sales-ridge");
  assert.equal(uniqueId("sales-ridge", new Set(["sales-ridge", "sales-ridge-2"])), "sales-ridge-3");
});

test("fan-in prefixes clashing column names with their source, like the core", () => {
  const edges = [
    { source: "ridge", target: "stack" },
    { source: "forest", target: "stack" },
    { source: "extra", target: "stack" },
  ];
  const schemas = {
    ridge: [["prediction", "float"], ["k", "int"]],
    forest: [["prediction", "float"]],
    extra: [["ridge.prediction", "float"]],
  };
  assert.deepEqual(upstreamColumns("stack", edges, schemas), [
    "ridge.prediction",
    "k",
    "forest.prediction",
    "extra.ridge.prediction",
  ]);
});

test("data sets that hold every input column come first, the others say what they lack", () => {
  const sets = [
    { id: 3, name: "newest", schema: [["b", "float"]] },
    { id: 2, name: "fits", schema: [["a", "float"], ["z", "int"]] },
    { id: 1, name: "also", schema: [["a", "int"]] },
  ];
  const ordered = datasetsByFit(sets, doc);
  assert.deepEqual(ordered.map((d) => [d.id, d.lacks]), [[2, []], [1, []], [3, ["a"]]]);
  assert.deepEqual(datasetsByFit(sets, { nodes: [] }).map((d) => d.id), [3, 2, 1]);
});
