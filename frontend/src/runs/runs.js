// Runs of the chain: statuses, progress, and the data set a run starts from.
import { datasetsByFit } from "../doc.js";

export const POLL_MS = 500;
export const TERMINAL = new Set(["succeeded", "failed", "cancelled", "done", "error"]);

// {node_id: {...}} whatever the API's shape (a list of rows or a mapping).
export function nodeMap(data) {
  const nodes = (data && (data.nodes || data.node_results || data.results)) || [];
  const out = {};
  if (Array.isArray(nodes)) {
    for (const n of nodes) out[n.node_id || n.node || n.id] = n;
    return out;
  }
  // The status endpoint maps node id -> status string.
  for (const [id, value] of Object.entries(nodes)) out[id] = typeof value === "string" ? { status: value } : value;
  return out;
}

export function progressOf(data, nodes) {
  if (data && typeof data.progress === "number") return data.progress <= 1 ? data.progress : data.progress / 100;
  if (data && TERMINAL.has(data.status)) return 1;
  if (data && typeof data.done === "number" && data.total) return data.done / data.total;
  const list = Object.values(nodes);
  if (!list.length) return 0;
  const finished = list.filter((n) => ["done", "reused", "failed", "skipped", "succeeded"].includes(n.status)).length;
  return finished / list.length;
}

// Node rows of a run: the status poll's, completed by the run detail's.
export function mergeRunNodes(runData, runDetail) {
  const out = { ...(runData ? nodeMap(runData) : {}) };
  for (const [k, v] of Object.entries(runDetail ? nodeMap(runDetail) : {})) out[k] = { ...(out[k] || {}), ...v };
  return out;
}

// This chain's runs, newest first.
export function chainRuns(list, chain) {
  return list.filter((r) => !r.chain || r.chain === chain || r.chain?.name === chain).sort((a, b) => b.id - a.id);
}

// The newest data set that fits the chain's input, else the only one, else null.
export function firstDataset(list, doc) {
  const fitting = datasetsByFit(list, doc);
  return fitting.find((d) => !d.lacks.length) || (list.length === 1 ? list[0] : null);
}

// A data set's id as the run API takes it (numbers for ids, names as they are).
export function datasetValue(value) {
  return /^\d+$/.test(value) ? Number(value) : value;
}

// The chosen data set's target column ("" when unlabelled or none chosen): the
// editor's validation then warns of a model taking it as a feature.
export function targetOf(list, value) {
  const found = (list || []).find((d) => String(d.id) === String(value));
  return (found && found.target) || "";
}
