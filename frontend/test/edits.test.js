import assert from "node:assert/strict";
import { test } from "node:test";
import { flowEdge, flowNode } from "../src/doc.js";
import { addEdit, clipOf, deleteEdit, insertTransformEdit, pasteEdit, renameEdit, renameProblem } from "../src/document/edits.js";

const n = (id, kind = "model", selected = false) => flowNode({ id, kind, params: {} }, { x: 0, y: 0 }, selected);
const ids = (list) => list.map((x) => x.id);

test("an added node is selected alone and wired from the node that was selected", () => {
  const out = addEdit([n("in", "input", true)], [], n("m", "model", true), "in");
  assert.deepEqual(out.nodes.map((x) => [x.id, !!x.selected]), [["in", false], ["m", true]]);
  assert.deepEqual(ids(out.edges), ["in->m"]);
});

test("deleting the selection removes its edges and counts both", () => {
  const out = deleteEdit([n("a"), n("b", "model", true)], [flowEdge("a", "b")]);
  assert.deepEqual(ids(out.nodes), ["a"]);
  assert.deepEqual(out.counts, [1, 1]);
});

test("a pasted clip gets fresh ids and keeps its inner edges", () => {
  const nodes = [n("a", "model", true), n("b", "model", true)];
  const clip = clipOf(nodes, [flowEdge("a", "b")]);
  const out = pasteEdit(nodes, [], clip, 40);
  assert.deepEqual(ids(out.nodes), ["a", "b", "a-2", "b-2"]);
  assert.deepEqual(ids(out.edges), ["a-2->b-2"]);
});

test("a rename rewires edges and refuses bad or taken names", () => {
  const out = renameEdit([n("a"), n("b")], [flowEdge("a", "b")], "a", "z");
  assert.deepEqual(ids(out.edges), ["z->b"]);
  assert.match(renameProblem([n("a")], "a"), /already/);
  assert.match(renameProblem([n("a")], "a b"), /letters/);
  assert.equal(renameProblem([n("a")], "c"), null);
});

test("a transform is inserted on an edge", () => {
  const out = insertTransformEdit([n("in", "input"), n("m")], [flowEdge("in", "m")], "in", "m", [{ op: "cast", columns: { x: "float" } }]);
  assert.deepEqual(ids(out.edges), ["in->fit-m", "fit-m->m"]);
  assert.deepEqual(out.nodes[2].data.params, { ops: [{ op: "cast", columns: { x: "float" } }] });
});
