import assert from "node:assert/strict";
import { test } from "node:test";
import { shortcutFor } from "../src/shortcuts/keys.js";

const key = (k, more = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, target: { tagName: "DIV" }, ...more });
const action = (e, s) => (shortcutFor(e, s) || {}).action || null;

test("editing shortcuts map to their actions", () => {
  assert.equal(action(key("z", { ctrlKey: true })), "undo");
  assert.equal(action(key("Z", { ctrlKey: true, shiftKey: true })), "redo");
  assert.equal(action(key("y", { metaKey: true })), "redo");
  assert.equal(action(key("Delete")), "delete");
  assert.equal(action(key("L")), "layout");
  assert.equal(action(key("?")), "shortcuts");
  assert.equal(action(key("x")), null);
});

test("save and run work everywhere; the rest waits while typing or in a dialog", () => {
  const typing = { target: { tagName: "INPUT" } };
  assert.equal(action(key("s", { ctrlKey: true, ...typing })), "save");
  assert.equal(action(key("Enter", { ctrlKey: true }), { dialog: true }), "run");
  assert.equal(action(key("z", { ctrlKey: true, ...typing })), null);
  assert.equal(action(key("Delete"), { dialog: true }), null);
  assert.equal(shortcutFor(key("c", { ctrlKey: true })).preventDefault, false);
});

test("Ctrl+Shift+Enter runs up to the selected node; Ctrl+Enter still runs the chain", () => {
  assert.equal(action(key("Enter", { ctrlKey: true, shiftKey: true })), "runUntil");
  assert.equal(action(key("Enter", { metaKey: true, shiftKey: true, target: { tagName: "INPUT" } })), "runUntil");
  assert.equal(action(key("Enter", { ctrlKey: true })), "run");
  assert.equal(action(key("Enter", { shiftKey: true })), null);
  assert.equal(shortcutFor(key("Enter", { ctrlKey: true, shiftKey: true })).preventDefault, true);
});
