import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./editor.css";
import App from "./App.jsx";
import { emptyDocument } from "./doc.js";

function readJson(id, fallback) {
  const el = document.getElementById(id);
  if (!el) return fallback;
  try {
    let value = JSON.parse(el.textContent);
    // The view may hand json_script a JSON string rather than an object.
    if (typeof value === "string") value = JSON.parse(value);
    return value ?? fallback;
  } catch (err) {
    return fallback;
  }
}

const root = document.getElementById("chain-editor");
if (root) {
  const config = readJson("editor-config-json", {});
  const doc = readJson("document-json", null) || emptyDocument();
  if (!doc.layout) doc.layout = {};
  const version = root.dataset.version ? Number(root.dataset.version) : null;
  const title = root.dataset.title || "";
  createRoot(root).render(<App initialDocument={doc} config={config} initialVersion={version} title={title} />);
}
