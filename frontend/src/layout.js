import dagre from "@dagrejs/dagre";
import { NODE_H, NODE_W } from "./doc.js";

// Left-to-right layered layout; returns {id: {x, y}} top-left positions.
export function autoLayout(nodes, edges) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 70, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    const w = n.measured?.width || NODE_W;
    const h = n.measured?.height || NODE_H;
    g.setNode(n.id, { width: w, height: h });
  }
  for (const e of edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const at = {};
  for (const n of nodes) {
    const p = g.node(n.id);
    const w = n.measured?.width || NODE_W;
    const h = n.measured?.height || NODE_H;
    at[n.id] = { x: Math.round(p.x - w / 2), y: Math.round(p.y - h / 2) };
  }
  return at;
}
