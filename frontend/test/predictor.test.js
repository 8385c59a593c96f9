import assert from "node:assert/strict";
import { test } from "node:test";
import { chainVersionOptions, predictorOf } from "../src/predictor.js";

const palette = { models: [], chains: [{ name: "sales-stacked", versions: [1, 3, 2], latest: 3, live: 2 }] };

test("switching the predictor to a saved chain picks the first chain at @live", () => {
  assert.deepEqual(predictorOf("chain", palette), { chain: "sales-stacked", version: "@live" });
  assert.deepEqual(predictorOf("chain", { chains: [] }), { chain: "", version: "@live" });
  assert.deepEqual(predictorOf("model", palette), { model: "", version: "@latest" });
});

test("a chain predictor offers @live, @latest and every version, newest first", () => {
  assert.deepEqual(chainVersionOptions(palette, "sales-stacked", "@live"), ["@live", "@latest", "3", "2", "1"]);
});

test("a version the palette does not know is kept as the first option", () => {
  assert.deepEqual(chainVersionOptions(palette, "sales-stacked", 9), ["9", "@live", "@latest", "3", "2", "1"]);
  assert.deepEqual(chainVersionOptions(palette, "gone", undefined), ["@live", "@latest"]);
});
