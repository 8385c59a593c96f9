import assert from "node:assert/strict";
import { test } from "node:test";
import { createHistory } from "../src/document/history.js";

test("undo and redo walk back and forth through recorded documents", () => {
  const h = createHistory();
  h.record("a", null, 0);
  h.record("b", null, 1);
  assert.equal(h.undo("c"), "b");
  assert.equal(h.undo("b"), "a");
  assert.equal(h.undo("a"), null);
  assert.equal(h.redo("a"), "b");
  assert.deepEqual(h.sizes(), [1, 1]);
});

test("changes of one tag within the merge window are one step, a new change clears redo", () => {
  const h = createHistory({ mergeMs: 1000 });
  assert.equal(h.record("a", "typing", 0), true);
  assert.equal(h.record("ab", "typing", 500), false);
  assert.equal(h.record("abc", "typing", 2000), true);
  h.undo("abcd");
  h.record("x", null, 3000);
  assert.deepEqual(h.sizes(), [2, 0]);
});

test("the history keeps at most its limit", () => {
  const h = createHistory({ limit: 2 });
  for (const d of ["a", "b", "c"]) h.record(d);
  assert.equal(h.undo("d"), "c");
  assert.equal(h.undo("c"), "b");
  assert.equal(h.undo("b"), null);
});
