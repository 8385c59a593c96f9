// Runs of the chain: statuses, progress, and the data set a run starts from.
import { datasetsByFit } from "../doc.js";

export const POLL_MS = 500;
// A status request waits on the server (?wait=) for the run's end for up to
// POLL_MS, so the end shows as it happens and progress every half second.
export function statusWaitUrl(url) {
  return `${url}${url.includes("?") ? "&" : "?"}wait=${POLL_MS / 1000}`;
}
// The next look: soon after a request that waited (never at once: a server
// slow to answer is not asked again without a pause); else after the rest of
// POLL_MS (the server's waiting slots were taken and it answered at once).
export const POLL_GAP_MS = 50;
export function nextPollDelay(elapsedMs) {
  return Math.max(POLL_GAP_MS, Math.round(POLL_MS - elapsedMs));
}
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

// The nodes a run up to `until` computes: the node and everything upstream of it
// (every node when `until` is empty). `edges` are [source, target] pairs.
export function upstreamOf(edges, until) {
  const parents = new Map();
  for (const [a, b] of edges || []) parents.set(b, [...(parents.get(b) || []), a]);
  const seen = new Set([until]);
  const todo = [until];
  while (todo.length) {
    for (const p of parents.get(todo.pop()) || []) {
      if (!seen.has(p)) {
        seen.add(p);
        todo.push(p);
      }
    }
  }
  return seen;
}

// Runs an experiment on `nodeId` can start from: succeeded runs of `version`
// that computed the node (the whole chain, or up to the node or past it),
// newest first. Their stored outputs feed the variants.
export function variantBases(runs, { version, nodeId, edges }) {
  return (runs || [])
    .filter((r) => r.status === "succeeded" && Number(r.version) === Number(version))
    .filter((r) => !r.until || r.until === nodeId || upstreamOf(edges, r.until).has(nodeId))
    .sort((a, b) => b.id - a.id);
}

// A run in the history list: its number, version and status, and whether it ran
// only up to a node or continues such a run.
export function runLabel(r) {
  const parts = [`#${r.id}`, `v${r.version ?? r.version_number ?? r.chain_version ?? "?"}`, r.status];
  if (r.until) parts.push(`up to ${r.until}`);
  if (r.continues) parts.push(`continues #${r.continues}`);
  return parts.join(" · ");
}

// Whether a run can be continued: it stopped at a node and succeeded, and no run
// of `runs` continues it yet (returned as `continuedBy`).
export function continuation(run, runs) {
  if (!run || !run.until) return { canContinue: false, continuedBy: null };
  const next = (runs || []).filter((r) => String(r.continues) === String(run.id)).sort((a, b) => b.id - a.id)[0];
  return { canContinue: run.status === "succeeded", continuedBy: next ? next.id : null };
}

// The run page with the variants form of `nodeId` open and focused (no #fragment:
// a browser skips autofocus on a page opened at one).
export function variantsFormUrl(runUrl, nodeId) {
  return `${runUrl}?experiment_node=${encodeURIComponent(nodeId)}`;
}

// The shown run's row: the history's, completed by its detail once fetched,
// with the status the poll saw last.
export function currentRun(runs, runId, detail, status) {
  if (!runId) return null;
  const row = (runs || []).find((r) => String(r.id) === String(runId));
  const fresh = detail && String(detail.id) === String(runId) ? detail : null;
  if (!row && !fresh) return null;
  const run = { ...(row || {}), ...(fresh || {}) };
  return status ? { ...run, status } : run;
}
