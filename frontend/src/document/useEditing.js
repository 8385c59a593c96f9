// Edits from the palette, the inspector, the keyboard and the canvas, as undoable changes.
import { useCallback, useRef } from "react";
import { NODE_H, NODE_W, connectionProblem, flowEdge, flowNode, uniqueId } from "../doc.js";
import { autoLayout } from "../layout.js";
import { DRAG_TYPE } from "../panels.jsx";
import { defaultParams } from "../palette.js";
import { decorations } from "../store.js";
import { addEdit, clipOf, deleteEdit, paramsEdit, pasteEdit, renameEdit, renameProblem } from "./edits.js";

const CLIPBOARD = "catena:clipboard";
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function useEditing({ doc: d, rf, readOnly, say, wrapperRef }) {
  const { nodesRef, edgesRef, change, setNodes, setEdges } = d;
  const clipboard = useRef(null);
  const pasteCount = useRef(0);

  // Right of the one selected node, else the middle of the view.
  const freeSpot = useCallback(() => {
    const sel = nodesRef.current.filter((n) => n.selected);
    if (sel.length === 1) {
      const s = sel[0];
      const kids = edgesRef.current.filter((e) => e.source === s.id).length;
      return { x: s.position.x + NODE_W + 70, y: s.position.y + kids * (NODE_H + 30) };
    }
    const box = wrapperRef.current ? wrapperRef.current.getBoundingClientRect() : { left: 0, top: 0, width: 800, height: 600 };
    const c = rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
    const n = nodesRef.current.length % 8;
    return { x: c.x - NODE_W / 2 + n * 24, y: c.y - NODE_H / 2 + n * 24 };
  }, [rf, nodesRef, edgesRef, wrapperRef]);

  const addNode = useCallback((spec, position) => {
    if (readOnly) return;
    const id = uniqueId({ model: spec.model, chain: spec.chain }[spec.kind] || spec.kind, new Set(nodesRef.current.map((n) => n.id)));
    const from = !position ? nodesRef.current.filter((n) => n.selected) : [];
    const node = flowNode({ id, kind: spec.kind, params: defaultParams(spec, decorations.get().palette) }, position || freeSpot(), true);
    change((ns, es) => addEdit(ns, es, node, from.length === 1 ? from[0].id : null));
    say(`Added ${spec.kind} node “${id}”.`);
  }, [readOnly, freeSpot, change, say, nodesRef]);

  const connect = useCallback((source, target) => {
    const why = connectionProblem(nodesRef.current, edgesRef.current, source, target);
    if (why) return say(`Cannot connect ${source} → ${target}: ${why}.`, "error");
    change((ns, es) => ({ edges: [...es, flowEdge(source, target)] }));
    return undefined;
  }, [change, say, nodesRef, edgesRef]);
  const disconnect = useCallback(
    (source, target) => change((ns, es) => ({ edges: es.filter((e) => !(e.source === source && e.target === target)) })),
    [change],
  );

  const deleteSelection = useCallback(() => {
    const { counts } = deleteEdit(nodesRef.current, edgesRef.current);
    if (!counts[0] && !counts[1]) return;
    change((ns, es) => deleteEdit(ns, es));
    say(`Deleted ${plural(counts[0], "node")} and ${plural(counts[1], "edge")}.`);
  }, [change, say, nodesRef, edgesRef]);

  const copy = useCallback(() => {
    const clip = clipOf(nodesRef.current, edgesRef.current);
    if (!clip.nodes.length) return;
    clipboard.current = clip;
    pasteCount.current = 0;
    try {
      localStorage.setItem(CLIPBOARD, JSON.stringify(clip));
    } catch (err) {
      /* ignore */
    }
    say(`Copied ${plural(clip.nodes.length, "node")}.`);
  }, [say, nodesRef, edgesRef]);

  const paste = useCallback(() => {
    let clip = clipboard.current;
    try {
      clip ||= JSON.parse(localStorage.getItem(CLIPBOARD) || "null");
    } catch (err) {
      clip = null;
    }
    if (!clip || !clip.nodes.length) return;
    pasteCount.current += 1;
    const shift = 40 * pasteCount.current;
    change((ns, es) => pasteEdit(ns, es, clip, shift));
    say(`Pasted ${plural(clip.nodes.length, "node")}.`);
  }, [change, say]);

  const selectAll = useCallback(() => setNodes(nodesRef.current.map((n) => ({ ...n, selected: true }))), [setNodes, nodesRef]);
  const clearSelection = useCallback(() => {
    setNodes(nodesRef.current.map((n) => (n.selected ? { ...n, selected: false } : n)));
    setEdges(edgesRef.current.map((x) => (x.selected ? { ...x, selected: false } : x)));
  }, [setNodes, setEdges, nodesRef, edgesRef]);

  const fit = useCallback(() => rf.fitView({ padding: 0.15, duration: 200 }), [rf]);
  const layout = useCallback(() => {
    const at = autoLayout(nodesRef.current, edgesRef.current);
    change((ns) => ({ nodes: ns.map((n) => ({ ...n, position: at[n.id] || n.position })) }));
    setTimeout(fit, 30);
  }, [change, fit, nodesRef, edgesRef]);

  const setParams = useCallback(
    (id, params, key) => change((ns) => paramsEdit(ns, id, params), `params:${id}:${key}`),
    [change],
  );
  const rename = useCallback((oldId, newId, reset) => {
    const why = renameProblem(nodesRef.current, newId);
    if (why) {
      say(why, "error");
      return reset(oldId);
    }
    change((ns, es) => renameEdit(ns, es, oldId, newId));
    return undefined;
  }, [change, say, nodesRef]);

  const focusNode = useCallback((id) => {
    const n = nodesRef.current.find((x) => x.id === id);
    if (!n) return;
    setNodes(nodesRef.current.map((x) => (x.selected !== (x.id === id) ? { ...x, selected: x.id === id } : x)));
    setEdges(edgesRef.current.map((e) => (e.selected ? { ...e, selected: false } : e)));
    const w = n.measured?.width || NODE_W;
    const h = n.measured?.height || NODE_H;
    rf.setCenter(n.position.x + w / 2, n.position.y + h / 2, { zoom: Math.max(rf.getZoom(), 0.8), duration: 200 });
  }, [rf, setNodes, setEdges, nodesRef, edgesRef]);

  return { addNode, connect, disconnect, deleteSelection, copy, paste, selectAll, clearSelection, fit, layout, setParams, rename, focusNode, ...useCanvasEvents({ nodesRef, edgesRef, rf, addNode, connect }) };
}

// Wiring and dropping on the canvas.
function useCanvasEvents({ nodesRef, edgesRef, rf, addNode, connect }) {
  const isValidConnection = useCallback(
    (c) => !connectionProblem(nodesRef.current, edgesRef.current, c.source, c.target),
    [nodesRef, edgesRef],
  );
  const onConnect = useCallback((c) => connect(c.source, c.target), [connect]);
  // While a wire is dragged, the nodes it may connect to light up.
  const onConnectStart = useCallback((event, { nodeId, handleType }) => {
    const ok = new Set([nodeId]);
    for (const n of nodesRef.current) {
      const [s, t] = handleType === "target" ? [n.id, nodeId] : [nodeId, n.id];
      if (!connectionProblem(nodesRef.current, edgesRef.current, s, t)) ok.add(n.id);
    }
    decorations.set({ connectTargets: ok });
  }, [nodesRef, edgesRef]);
  const onConnectEnd = useCallback(() => decorations.set({ connectTargets: null }), []);
  const onDrop = useCallback((e) => {
    const raw = e.dataTransfer.getData(DRAG_TYPE);
    if (!raw) return;
    e.preventDefault();
    const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    addNode(JSON.parse(raw), { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - NODE_H / 2) });
  }, [rf, addNode]);
  const onDragOver = useCallback((e) => {
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, []);
  return { isValidConnection, onConnect, onConnectStart, onConnectEnd, onDrop, onDragOver };
}
