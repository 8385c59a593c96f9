// Validation problems as the server sends them: {code, message, node, edge,
// severity, data}. Features read `code` and `data` only; `message` is for people.
import { edgeId } from "../doc.js";

// Codes whose edge offers the Fix… dialog.
export const FIXABLE = new Set(["missing_features", "dtype_mismatch", "feature_count"]);

export function groupProblems(list) {
  const byNode = {};
  const byEdge = {};
  for (const p of list) {
    if (p.node) (byNode[p.node] ||= []).push(p);
    if (p.edge) (byEdge[edgeId(p.edge[0], p.edge[1])] ||= []).push(p);
  }
  return { byNode, byEdge };
}

export function errorCount(list) {
  return list.filter((p) => p.severity !== "warning").length;
}

// The node a problem is about (an edge's problem is about its target).
export function problemNode(p) {
  return p.node || (p.edge && p.edge[1]) || null;
}

// The text of a problem on its edge: the server's sentence as written (never parsed).
export function edgeText(p) {
  return p.message;
}

// Answers may come back out of order: only the newest request's answer counts.
export function createSequence() {
  let last = 0;
  return {
    next: () => ++last,
    isLatest: (seq) => seq === last,
  };
}

// Problems the server names on an optimize node's objective: it does not
// parse (bad_params at path "objective") or uses unknown columns (used_by).
export function objectiveProblems(list) {
  return (list || []).filter((p) => {
    const data = p.data || {};
    return data.path === "objective" || data.used_by === "objective";
  });
}

// Links to the model versions a guard's warning names, read from its fields.
const versionUrl = (model, version) => `/models/${encodeURIComponent(model)}/versions/${Number(version)}/`;

export function problemLinks(p) {
  const data = p.data || {};
  if (p.code === "stacker_base_moved") {
    return [
      { label: `${data.model} v${data.version}`, href: versionUrl(data.model, data.version) },
      { label: `trained on ${data.base_model} v${data.trained_version}`, href: versionUrl(data.base_model, data.trained_version) },
      { label: `runs ${data.base_model} v${data.running_version}`, href: versionUrl(data.base_model, data.running_version) },
    ];
  }
  if (p.code === "stacker_in_sample" || p.code === "target_as_feature") {
    return [{ label: `${data.model} v${data.version}`, href: versionUrl(data.model, data.version) }];
  }
  return [];
}
