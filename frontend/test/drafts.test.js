import assert from "node:assert/strict";
import { test } from "node:test";
import { canonical } from "../src/doc.js";
import { draftKey, pickDraft, readLocalDraft, restoredText, serverDraftOf, writeLocalDraft } from "../src/drafts/drafts.js";

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}

test("a local draft round-trips per chain, and garbage reads as none", () => {
  const s = memoryStorage();
  writeLocalDraft(s, "iris", { nodes: [] }, 2, 5);
  assert.deepEqual(readLocalDraft(s, "iris"), { document: { nodes: [] }, at: 5, base: 2 });
  assert.equal(draftKey(null), "catena:draft:new");
  s.setItem(draftKey("bad"), "{");
  assert.equal(readLocalDraft(s, "bad"), null);
});

test("the newest draft that differs from the saved version is restored", () => {
  const saved = { nodes: [1] };
  const local = { document: { nodes: [2] }, at: 5000 };
  const server = serverDraftOf({ document: { nodes: [3] }, updated: "1970-01-01T00:00:01Z", base_number: 1 });
  assert.deepEqual(pickDraft(local, server, canonical(saved)).document, { nodes: [2] });
  assert.equal(pickDraft({ document: saved, at: 1 }, null, canonical(saved)), null);
  assert.equal(serverDraftOf({}), null);
});

test("a draft started from an older version says so", () => {
  assert.match(restoredText({ base: 1 }, 3), /started from version 1 \(the latest is 3\)/);
  assert.equal(restoredText({ base: 3 }, 3), "Restored your unsaved draft.");
});
