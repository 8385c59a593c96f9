// Pure graph edits on React Flow nodes and edges: each returns {nodes?, edges?}.
import { connectionProblem, flowEdge, flowNode, uniqueId } from "../doc.js";

export const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

const unselect = (list) => list.map((x) => (x.selected ? { ...x, selected: false } : x));

// Add `node`, selected alone, wired from `from` when that makes a valid edge.
export function addEdit(nodes, edges, node, from) {
  const out = { nodes: [...unselect(nodes), node] };
  if (from && !connectionProblem(out.nodes, edges, from, node.id)) out.edges = [...edges, flowEdge(from, node.id)];
  return out;
}

export function deleteEdit(nodes, edges) {
  const gone = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
  const goneEdges = edges.filter((e) => e.selected || gone.has(e.source) || gone.has(e.target));
  return {
    nodes: nodes.filter((n) => !gone.has(n.id)),
    edges: edges.filter((e) => !goneEdges.includes(e)),
    counts: [gone.size, goneEdges.length],
  };
}

export function clipOf(nodes, edges) {
  const picked = nodes.filter((n) => n.selected);
  const ids = new Set(picked.map((n) => n.id));
  return {
    nodes: picked.map((n) => ({ id: n.id, kind: n.data.kind, params: n.data.params, position: n.position })),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => [e.source, e.target]),
  };
}

// Paste a clip shifted by `shift`, renaming ids that are taken; the pasted part is selected.
export function pasteEdit(nodes, edges, clip, shift) {
  const taken = new Set(nodes.map((n) => n.id));
  const rename = {};
  const added = clip.nodes.map((n) => {
    const id = uniqueId(n.id, taken);
    taken.add(id);
    rename[n.id] = id;
    return flowNode({ id, kind: n.kind, params: n.params }, { x: n.position.x + shift, y: n.position.y + shift }, true);
  });
  return {
    nodes: [...unselect(nodes), ...added],
    edges: [...unselect(edges), ...clip.edges.map(([a, b]) => flowEdge(rename[a], rename[b]))],
  };
}

// Why a node may not be renamed to `newId`, or null.
export function renameProblem(nodes, newId) {
  if (!ID_RE.test(newId)) return "A node name is 1-64 letters, digits, '_' or '-'.";
  if (nodes.some((n) => n.id === newId)) return `There is already a node named “${newId}”.`;
  return null;
}

export function renameEdit(nodes, edges, oldId, newId) {
  return {
    nodes: nodes.map((n) => (n.id === oldId ? { ...n, id: newId, ariaLabel: `${n.data.kind} node ${newId}` } : n)),
    edges: edges.map((e) =>
      e.source === oldId || e.target === oldId
        ? flowEdge(e.source === oldId ? newId : e.source, e.target === oldId ? newId : e.target, e.selected)
        : e,
    ),
  };
}

export function paramsEdit(nodes, id, params) {
  return { nodes: nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, params } } : n)) };
}

// Put a transform node with `ops` on the edge source -> target.
export function insertTransformEdit(nodes, edges, source, target, ops) {
  const id = uniqueId(`fit-${target}`, new Set(nodes.map((n) => n.id)));
  const s = nodes.find((n) => n.id === source);
  const t = nodes.find((n) => n.id === target);
  const at = { x: Math.round((s.position.x + t.position.x) / 2), y: Math.round((s.position.y + t.position.y) / 2) + 50 };
  const node = flowNode({ id, kind: "transform", params: { ops } }, at, true);
  return {
    nodes: [...unselect(nodes), node],
    edges: [...edges.filter((e) => !(e.source === source && e.target === target)), flowEdge(source, id), flowEdge(id, target)],
  };
}
