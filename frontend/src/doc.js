// The graph document ("catena.chain/1") and its React Flow form.

export const FORMAT = "catena.chain/1";
export const NODE_W = 164;
export const NODE_H = 64;

export function emptyDocument() {
  return { format: FORMAT, nodes: [], edges: [], layout: {} };
}

export function edgeId(a, b) {
  return `${a}->${b}`;
}

export function toFlow(doc, selected = new Set()) {
  const layout = doc.layout || {};
  const nodes = (doc.nodes || []).map((n, i) => {
    const at = layout[n.id] || [40 + (i % 6) * 240, 60 + Math.floor(i / 6) * 120];
    return flowNode(n, { x: at[0], y: at[1] }, selected.has(n.id));
  });
  const edges = (doc.edges || []).map(([a, b]) => flowEdge(a, b, selected.has(edgeId(a, b))));
  return { nodes, edges };
}

export function flowNode(n, position, selected = false) {
  return {
    id: n.id,
    type: "step",
    position,
    selected,
    data: { kind: n.kind, params: n.params || {} },
    ariaLabel: `${n.kind} node ${n.id}`,
  };
}

export function flowEdge(a, b, selected = false) {
  return { id: edgeId(a, b), source: a, target: b, type: "checked", selected };
}

export function toDocument(nodes, edges) {
  const layout = {};
  for (const n of nodes) layout[n.id] = [Math.round(n.position.x), Math.round(n.position.y)];
  return {
    format: FORMAT,
    nodes: nodes.map((n) => ({ id: n.id, kind: n.data.kind, params: n.data.params })),
    edges: edges.map((e) => [e.source, e.target]),
    layout,
  };
}

// Stable JSON (sorted keys) to compare documents whatever their key order.
export function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  return JSON.stringify(value === undefined ? null : value);
}

// The graph without the layout: what a saved version is compared on.
export function graphKey(doc) {
  return canonical({ nodes: doc.nodes || [], edges: doc.edges || [] });
}

export function slug(text) {
  const s = String(text || "node")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return s || "node";
}

export function uniqueId(base, taken) {
  const root = slug(base);
  if (!taken.has(root)) return root;
  for (let i = 2; ; i++) {
    const id = `${root}-${i}`;
    if (!taken.has(id)) return id;
  }
}

// True when an edge source -> target would close a cycle (or is a self-loop).
export function wouldCycle(edges, source, target) {
  if (source === target) return true;
  const out = new Map();
  for (const e of edges) {
    if (!out.has(e.source)) out.set(e.source, []);
    out.get(e.source).push(e.target);
  }
  const seen = new Set([target]);
  const stack = [target];
  while (stack.length) {
    const at = stack.pop();
    if (at === source) return true;
    for (const next of out.get(at) || []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

export function connectionProblem(nodes, edges, source, target) {
  if (!source || !target) return "pick two nodes";
  if (source === target) return "a node cannot feed itself";
  const s = nodes.find((n) => n.id === source);
  const t = nodes.find((n) => n.id === target);
  if (!s || !t) return "unknown node";
  if (s.data.kind === "output") return "an output node has no outgoing edges";
  if (t.data.kind === "input") return "an input node takes no incoming edges";
  if (edges.some((e) => e.source === source && e.target === target)) return "already connected";
  if (wouldCycle(edges, source, target)) return "this edge would make a cycle";
  return null;
}

// Normalise the API's schema forms ([[name, dtype]] or [{name, dtype}]) to [{name, dtype}].
export function columnsOf(schema) {
  if (!schema) return null;
  const list = Array.isArray(schema) ? schema : schema.columns || [];
  return list.map((c) => (Array.isArray(c) ? { name: c[0], dtype: c[1] } : { name: c.name, dtype: c.dtype }));
}

// The columns a node receives: its parents' outputs joined in edge order, with
// clashing names prefixed "source." as catena.fanin.joined_names does.
export function upstreamColumns(nodeId, edges, schemas) {
  const columns = [];
  for (const e of edges) {
    if (e.target !== nodeId) continue;
    for (const c of columnsOf(schemas[e.source]) || []) columns.push([e.source, c.name]);
  }
  const count = (list) => list.reduce((m, n) => m.set(n, (m.get(n) || 0) + 1), new Map());
  const initial = count(columns.map(([, n]) => n));
  let prefixed = columns.map(([, n]) => initial.get(n) > 1);
  for (;;) {
    const names = columns.map(([src, n], i) => (prefixed[i] ? `${src}.${n}` : n));
    const counts = count(names);
    const clashes = new Set(names.filter((n) => counts.get(n) > 1));
    if (!clashes.size) return names;
    prefixed = prefixed.map((p, i) => p || clashes.has(names[i]));
  }
}

// Data sets for a run: those holding every input column of the document first
// (newest first within each group, as listed), each with the input columns it lacks.
export function datasetsByFit(datasets, doc) {
  const wanted = [];
  for (const n of doc.nodes || []) {
    if (n.kind !== "input") continue;
    for (const column of (n.params && n.params.schema) || []) {
      if (Array.isArray(column) && !wanted.includes(column[0])) wanted.push(column[0]);
    }
  }
  const marked = (datasets || []).map((d) => {
    const have = new Set(((d && d.schema) || []).map((c) => (Array.isArray(c) ? c[0] : c)));
    return { ...d, lacks: wanted.filter((c) => !have.has(c)) };
  });
  return [...marked.filter((d) => !d.lacks.length), ...marked.filter((d) => d.lacks.length)];
}
