import assert from "node:assert/strict";
import { test } from "node:test";
import { flowEdge, flowNode } from "../src/doc.js";
import { castsOf, fixOps, fixPlan } from "../src/dialogs/fix.js";

// Every message reworded to nonsense: the plan must come from the data fields alone.
const NONSENSE = "zzz nonsense zzz";
const nodes = [
  flowNode({ id: "in", kind: "input", params: {} }, { x: 0, y: 0 }),
  flowNode({ id: "tree", kind: "model", params: { model: "unknown-to-palette" } }, { x: 0, y: 0 }),
];
const edges = [flowEdge("in", "tree")];
const missing = {
  code: "missing_features", message: NONSENSE, node: "tree", edge: ["in", "tree"], severity: "error",
  data: { features: ["sepal_length", "petal_width"], columns: ["sepal_len", "petal_wid"], mapping: {} },
};
const mistyped = {
  code: "dtype_mismatch", message: NONSENSE, node: "tree", edge: ["in", "tree"], severity: "error",
  data: { feature: "petal_width", column: "petal_wid", expected: "float", actual: "str" },
};
const decorations = {
  schemas: { in: [["sepal_len", "float"], ["petal_wid", "str"]] },
  palette: { models: [] },
  problemsByNode: { tree: [missing, mistyped] },
  problemsByEdge: { "in->tree": [missing, mistyped] },
};

test("the Fix plan reads features and casts from problem data, whatever the messages say", () => {
  const plan = fixPlan({ source: "in", target: "tree", nodes, edges, decorations });
  assert.deepEqual(plan.features, ["sepal_length", "petal_width"]);
  assert.deepEqual(plan.columns, ["sepal_len", "petal_wid"]);
  assert.deepEqual(plan.mapping, { sepal_length: "sepal_len", petal_width: "petal_wid" });
  assert.deepEqual(plan.casts, { petal_wid: "float" });
});

test("the palette's features come first, and non-model targets have no plan", () => {
  const palette = { models: [{ name: "unknown-to-palette", signature: { inputs: [["a", "float"]] } }] };
  const plan = fixPlan({ source: "in", target: "tree", nodes, edges, decorations: { ...decorations, palette } });
  assert.deepEqual(plan.features, ["a"]);
  assert.equal(fixPlan({ source: "tree", target: "in", nodes, edges, decorations }), null);
});

test("only a model feature's dtype mismatch becomes a cast", () => {
  const average = { code: "dtype_mismatch", message: NONSENSE, data: { feature: null, column: "s", expected: "numeric", actual: "str" } };
  assert.deepEqual(castsOf([average, mistyped]), { petal_wid: "float" });
});

test("the fitting transform casts first, then renames each column once", () => {
  assert.deepEqual(fixOps({ a: "x", b: "x" }, { x: "float" }), [
    { op: "cast", columns: { x: "float" } },
    { op: "rename", mapping: { x: "a" } },
  ]);
  assert.deepEqual(fixOps({}, {}), []);
});
