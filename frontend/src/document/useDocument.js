// The document being edited (React Flow nodes and edges) and its undo/redo history.
import { useCallback, useMemo, useRef, useState } from "react";
import { applyEdgeChanges, applyNodeChanges } from "@xyflow/react";
import { canonical, toDocument, toFlow } from "../doc.js";
import { autoLayout } from "../layout.js";
import { createHistory } from "./history.js";

// A document saved without a layout (API, import) opens laid out.
function startFlow(initialDocument) {
  const f = toFlow(initialDocument);
  if (f.nodes.some((n) => !(initialDocument.layout || {})[n.id])) {
    const at = autoLayout(f.nodes, f.edges);
    f.nodes = f.nodes.map((n) => ({ ...n, position: at[n.id] }));
  }
  return f;
}

export function useDocument({ initialDocument, readOnly, say }) {
  const start = useMemo(() => startFlow(initialDocument), [initialDocument]);
  const [nodes, setNodesState] = useState(start.nodes);
  const [edges, setEdgesState] = useState(start.edges);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  const [histSize, setHistSize] = useState([0, 0]);
  const hist = useRef(null);
  hist.current ||= createHistory();
  const dragStash = useRef(null);

  const setNodes = useCallback((next) => {
    nodesRef.current = next;
    setNodesState(next);
  }, []);
  const setEdges = useCallback((next) => {
    edgesRef.current = next;
    setEdgesState(next);
  }, []);
  const snapshot = useCallback(() => toDocument(nodesRef.current, edgesRef.current), []);
  const record = useCallback(
    (tag) => {
      if (hist.current.record(snapshot(), tag)) setHistSize(hist.current.sizes());
    },
    [snapshot],
  );
  const load = useCallback(
    (d, selectIds) => {
      const keep = selectIds || new Set(nodesRef.current.filter((n) => n.selected).map((n) => n.id));
      const f = toFlow(d, keep);
      setNodes(f.nodes);
      setEdges(f.edges);
    },
    [setNodes, setEdges],
  );
  // Apply fn(nodes, edges) -> {nodes?, edges?} as one undoable change.
  const change = useCallback(
    (fn, tag) => {
      if (readOnly) return;
      record(tag);
      const out = fn(nodesRef.current, edgesRef.current);
      if (out.nodes) setNodes(out.nodes);
      if (out.edges) setEdges(out.edges);
    },
    [readOnly, record, setNodes, setEdges],
  );
  const step = useCallback(
    (direction) => {
      const d = hist.current[direction](snapshot());
      if (!d) return say(direction === "undo" ? "Nothing to undo." : "Nothing to redo.");
      load(d);
      setHistSize(hist.current.sizes());
      return undefined;
    },
    [load, say, snapshot],
  );
  const undo = useCallback(() => step("undo"), [step]);
  const redo = useCallback(() => step("redo"), [step]);

  const onNodesChange = useCallback(
    (changes) => {
      const moves = changes.filter((c) => c.type === "position");
      if (moves.length && !dragStash.current && moves.some((c) => !c.dragging)) record("keymove");
      setNodes(applyNodeChanges(changes.filter((c) => c.type !== "remove"), nodesRef.current));
    },
    [record, setNodes],
  );
  const onEdgesChange = useCallback(
    (changes) => setEdges(applyEdgeChanges(changes.filter((c) => c.type !== "remove"), edgesRef.current)),
    [setEdges],
  );
  // A drag is one change, recorded when it ends, if anything moved.
  const onDragStart = useCallback(() => {
    dragStash.current = snapshot();
  }, [snapshot]);
  const onDragStop = useCallback(() => {
    const before = dragStash.current;
    dragStash.current = null;
    if (before && canonical(before.layout) !== canonical(snapshot().layout)) {
      hist.current.record(before, null);
      setHistSize(hist.current.sizes());
    }
  }, [snapshot]);

  return {
    start, nodes, edges, nodesRef, edgesRef, setNodes, setEdges, snapshot, record, load, change,
    undo, redo, histSize, onNodesChange, onEdgesChange, onDragStart, onDragStop,
  };
}
