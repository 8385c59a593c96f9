import assert from "node:assert/strict";
import { test } from "node:test";
import { bestMapping } from "../src/match.js";

test("features take their best-named column, each column once", () => {
  const features = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
  const columns = ["petal_wid", "sepal_len", "petal_len", "sepal_wid"];
  assert.deepEqual(bestMapping(features, columns), {
    sepal_length: "sepal_len",
    sepal_width: "sepal_wid",
    petal_length: "petal_len",
    petal_width: "petal_wid",
  });
});

test("case, punctuation and fan-in prefixes still match", () => {
  assert.deepEqual(bestMapping(["Price", "ridge_prediction"], ["price", "ridge.prediction"]), {
    Price: "price",
    ridge_prediction: "ridge.prediction",
  });
});

test("a mapping already set is kept and nothing unrelated is guessed", () => {
  assert.deepEqual(bestMapping(["a", "zzz"], ["b", "qqqq"], { a: "b" }), { a: "b" });
});
