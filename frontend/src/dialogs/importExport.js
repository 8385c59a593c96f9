// Import and export of graph documents as files.
import { FORMAT } from "../doc.js";

// The graph document in an imported file's text: a document, or the server's
// export manifest that holds one. Throws an Error saying what is wrong.
export function parseImport(text) {
  const data = JSON.parse(text);
  const d = data && data.format === FORMAT ? data : data && data.document;
  if (!d || d.format !== FORMAT || !Array.isArray(d.nodes) || !Array.isArray(d.edges)) {
    throw new Error(`not a “${FORMAT}” document`);
  }
  return d;
}

export function exportName(chain, version) {
  return `${chain || "chain"}${version ? `-v${version}` : ""}.catena.json`;
}
