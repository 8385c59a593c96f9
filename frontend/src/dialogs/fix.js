// The Fix… dialog's plan for an edge whose columns do not fit a model, built
// from the problems' data fields (never from their messages).
import { edgeId, upstreamColumns } from "../doc.js";
import { bestMapping } from "../match.js";
import { modelFeatures } from "../palette.js";

// The model's features: from the palette, else from a missing_features problem
// (a chain node's features, its saved chain's input columns, come from there).
function featuresOf(target, palette, nodeProblems) {
  const known = modelFeatures(palette, target.data.params);
  if (known) return known;
  const p = nodeProblems.find((x) => x.code === "missing_features");
  return (p && p.data && p.data.features) || [];
}

// dtype_mismatch on the edge: cast each column to the dtype its feature needs.
export function castsOf(edgeProblems) {
  const casts = {};
  for (const p of edgeProblems) {
    const d = p.data || {};
    if (p.code === "dtype_mismatch" && d.column && d.feature && typeof d.expected === "string") casts[d.column] = d.expected;
  }
  return casts;
}

// {features, columns, mapping, casts} for the edge source -> target, or null.
export function fixPlan({ source, target, nodes, edges, decorations: d }) {
  const t = nodes.find((n) => n.id === target);
  if (!t || (t.data.kind !== "model" && t.data.kind !== "chain")) return null;
  const columns = upstreamColumns(target, edges, d.schemas);
  const features = featuresOf(t, d.palette, d.problemsByNode[target] || []);
  const guess = bestMapping(features, columns, t.data.params.columns || {});
  // Features already present by name need no entry.
  const mapping = {};
  for (const f of features) if (guess[f] && guess[f] !== f) mapping[f] = guess[f];
  const casts = castsOf(d.problemsByEdge[edgeId(source, target)] || []);
  return { source, target, features, columns, mapping, casts };
}

// The ops of a transform that fits the edge: casts, then renames {column: feature}.
export function fixOps(mapping, casts) {
  const renames = {};
  for (const [f, c] of Object.entries(mapping || {})) if (c && !(c in renames)) renames[c] = f;
  const ops = [];
  if (casts && Object.keys(casts).length) ops.push({ op: "cast", columns: casts });
  if (Object.keys(renames).length) ops.push({ op: "rename", mapping: renames });
  return ops;
}
