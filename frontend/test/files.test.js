import assert from "node:assert/strict";
import { test } from "node:test";
import { exportName, parseImport } from "../src/dialogs/importExport.js";
import { defaultParams, modelFeatures } from "../src/palette.js";
import { urlsFrom } from "../src/urls.js";

const doc = { format: "catena.chain/1", nodes: [], edges: [] };

test("an import takes a document or an export manifest, and refuses anything else", () => {
  assert.deepEqual(parseImport(JSON.stringify(doc)), doc);
  assert.deepEqual(parseImport(JSON.stringify({ document: doc })), doc);
  assert.throws(() => parseImport('{"format": "x"}'), /not a “catena.chain\/1” document/);
  assert.throws(() => parseImport("{"), SyntaxError);
  assert.equal(exportName("iris", 2), "iris-v2.catena.json");
  assert.equal(exportName(null, null), "chain.catena.json");
});

test("URLs come from the page's config, with the API's defaults", () => {
  const urls = urlsFrom({ chain: "iris", draft: "/d" });
  assert.equal(urls.draft("iris"), "/d");
  assert.equal(urls.draft("other"), "/api/chains/other/draft");
  assert.equal(urls.bundle("iris", 3), "/api/chains/iris/versions/3/export?bundle=zip");
});

test("a model's features follow its version or alias in the palette", () => {
  const palette = { models: [{ name: "m", aliases: { production: 1 }, versions: [
    { number: 1, signature: { inputs: [["a", "float"]], outputs: { transform: [] } } },
    { number: 2, signature: { inputs: [["b", "float"]] } },
  ] }] };
  assert.deepEqual(modelFeatures(palette, { model: "m" }), ["b"]);
  assert.deepEqual(modelFeatures(palette, { model: "m", version: "@production" }), ["a"]);
  assert.deepEqual(modelFeatures(palette, { model: "m", version: 1 }), ["a"]);
  assert.equal(modelFeatures(palette, { model: "nope" }), null);
  assert.deepEqual(defaultParams({ kind: "combine" }, palette), { method: "mean" });
});
