import assert from "node:assert/strict";
import { test } from "node:test";
import { flowEdge, flowNode } from "../src/doc.js";
import { fixPlan } from "../src/dialogs/fix.js";
import { chainVersion, defaultParams } from "../src/palette.js";

const palette = { models: [], chains: [{ name: "sum", versions: [1, 2, 3], latest: 3, live: 2 }] };

test("a chain node names the version @live, @latest or a number resolves to now", () => {
  assert.equal(chainVersion(palette, { chain: "sum", version: "@live" }), 2);
  assert.equal(chainVersion(palette, { chain: "sum" }), 2);
  assert.equal(chainVersion(palette, { chain: "sum", version: "@latest" }), 3);
  assert.equal(chainVersion(palette, { chain: "sum", version: 1 }), 1);
  assert.equal(chainVersion(palette, { chain: "sum", version: 9 }), null);
  assert.equal(chainVersion(palette, { chain: "nope" }), null);
});

test("a chain node added at @live remembers the version it was drawn on", () => {
  assert.deepEqual(defaultParams({ kind: "chain", chain: "sum" }, palette), { chain: "sum", version: "@live", drawn: 2 });
  assert.deepEqual(defaultParams({ kind: "chain", chain: "sum", version: 3 }, palette), { chain: "sum", version: 3 });
});

test("the Fix plan maps a chain node's input columns like a model's features", () => {
  const nodes = [
    flowNode({ id: "in", kind: "input", params: {} }, { x: 0, y: 0 }),
    flowNode({ id: "step", kind: "chain", params: { chain: "sum", version: "@live" } }, { x: 0, y: 0 }),
  ];
  const missing = {
    code: "missing_features", message: "?", node: "step", edge: ["in", "step"], severity: "error",
    data: { features: ["x", "y"], columns: ["x", "why"], mapping: {} },
  };
  const decorations = {
    schemas: { in: [["x", "float"], ["why", "float"]] },
    palette,
    problemsByNode: { step: [missing] },
    problemsByEdge: { "in->step": [missing] },
  };
  const plan = fixPlan({ source: "in", target: "step", nodes, edges: [flowEdge("in", "step")], decorations });
  assert.deepEqual(plan.features, ["x", "y"]);
  assert.deepEqual(plan.mapping, { y: "why" });
});
