import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
} from "@xyflow/react";
import { listOf, makeApi } from "./api.js";
import CheckedEdge from "./CheckedEdge.jsx";
import {
  FORMAT,
  NODE_H,
  NODE_W,
  canonical,
  connectionProblem,
  datasetsByFit,
  edgeId,
  flowEdge,
  flowNode,
  toDocument,
  toFlow,
  uniqueId,
  upstreamColumns,
} from "./doc.js";
import Inspector, { MappingEditor, modelFeatures } from "./Inspector.jsx";
import { autoLayout } from "./layout.js";
import { bestMapping } from "./match.js";
import { DRAG_TYPE, Modal, Palette, ProblemsPanel, ShortcutsSheet } from "./panels.jsx";
import { NodeOutput, RunBar, TERMINAL, nodeMap, progressOf } from "./RunPanel.jsx";
import StepNode from "./StepNode.jsx";
import { decorations } from "./store.js";

const nodeTypes = { step: StepNode };
const edgeTypes = { checked: CheckedEdge };
const defaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const VALIDATE_DELAY = 100;
const DRAFT_DELAY = 800;
const POLL_MS = 500;

function urlsFrom(config) {
  // The view passes the URLs flat in the config (older shape: under "urls").
  const u = config.urls || config;
  const own = (name) => name && name === config.chain;
  const runs = u.runs || "/api/runs/";
  return {
    palette: u.palette || "/api/palette",
    validate: u.validate || "/api/validate",
    chains: u.chains || "/api/chains/",
    versions: (name) => (own(name) && u.versions) || `/api/chains/${name}/versions/`,
    draft: (name) => (own(name) && u.draft) || `/api/chains/${name}/draft`,
    datasets: u.datasets || "/api/datasets/",
    runs,
    runsCreate: u.runs_create || runs,
    run: (id) => `${runs}${id}/`,
    status: (id) => `${runs}${id}/status`,
    edit: (name) => `/chains/${name}/edit`,
    bundle: (name, number) =>
      ((own(name) && u.export) || `/api/chains/${name}/versions/{number}/export`).replace("{number}", number) + "?bundle=zip",
  };
}

function defaultMethod(palette, name) {
  const model = (palette.models || []).find((m) => m.name === name);
  const methods = Object.keys((model && model.signature && model.signature.outputs) || {});
  return methods.length && !methods.includes("predict") ? methods[0] : "predict";
}

function defaultParams(spec, palette) {
  switch (spec.kind) {
    case "input":
      return { schema: [["x", "float"]] };
    case "model":
      return { model: spec.model || "", version: spec.version || "@latest", method: defaultMethod(palette, spec.model) };
    case "transform":
      return { ops: [] };
    case "combine":
      return { method: "mean" };
    default:
      return {};
  }
}

function isTyping(target) {
  if (!target) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

function draftKey(chain) {
  return `catena:draft:${chain || "new"}`;
}

function readLocalDraft(chain) {
  try {
    return JSON.parse(localStorage.getItem(draftKey(chain)) || "null");
  } catch (err) {
    return null;
  }
}

export default function App(props) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor({ initialDocument, config, initialVersion, title }) {
  const api = useMemo(() => makeApi(config), [config]);
  const urls = useMemo(() => urlsFrom(config), [config]);
  const readOnly = config.can_edit === false;
  const rf = useReactFlow();
  const [chain, setChain] = useState(config.chain || null);
  const [version, setVersion] = useState(initialVersion ?? null);
  const start = useMemo(() => {
    const f = toFlow(initialDocument);
    // A document saved without a layout (API, import) opens laid out.
    if (f.nodes.some((n) => !(initialDocument.layout || {})[n.id])) {
      const at = autoLayout(f.nodes, f.edges);
      f.nodes = f.nodes.map((n) => ({ ...n, position: at[n.id] }));
    }
    return f;
  }, [initialDocument]);
  const [nodes, setNodesState] = useState(start.nodes);
  const [edges, setEdgesState] = useState(start.edges);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  const [savedKey, setSavedKey] = useState(() => canonical(toDocument(start.nodes, start.edges)));
  const [palette, setPalette] = useState({ kinds: [], models: [] });
  const [problems, setProblems] = useState([]);
  const [validating, setValidating] = useState(false);
  const [toast, setToast] = useState(null);
  const [dialog, setDialog] = useState(null);
  const [histSize, setHistSize] = useState([0, 0]);
  const hist = useRef({ past: [], future: [], tag: null, at: 0 });
  const dragStash = useRef(null);
  const clipboard = useRef(null);
  const pasteCount = useRef(0);
  const searchRef = useRef(null);
  const fileRef = useRef(null);
  const wrapperRef = useRef(null);
  const stats = useRef({ validations: 0, validateMs: null, saves: 0, saveMs: null, drafts: 0 });
  // Run state.
  const [datasets, setDatasets] = useState([]);
  const [dataset, setDataset] = useState("");
  const [runs, setRuns] = useState([]);
  const [runId, setRunId] = useState(null);
  const [runData, setRunData] = useState(null);
  const [runDetail, setRunDetail] = useState(null);
  const pollRef = useRef(null);

  const setNodes = useCallback((next) => {
    nodesRef.current = next;
    setNodesState(next);
  }, []);
  const setEdges = useCallback((next) => {
    edgesRef.current = next;
    setEdgesState(next);
  }, []);

  const doc = useMemo(() => toDocument(nodes, edges), [nodes, edges]);
  const docKey = useMemo(() => canonical(doc), [doc]);
  const runDatasets = useMemo(() => datasetsByFit(datasets, doc), [datasets, doc]);
  const graphOnly = useMemo(() => canonical({ nodes: doc.nodes, edges: doc.edges }), [doc]);
  const dirty = docKey !== savedKey;

  const say = useCallback((text, kind = "info") => setToast({ text, kind, at: Date.now() }), []);
  useEffect(() => {
    if (!toast) return undefined;
    const timer = setTimeout(() => setToast(null), toast.kind === "error" ? 8000 : 5000);
    return () => clearTimeout(timer);
  }, [toast]);

  // History ------------------------------------------------------------------------
  const snapshot = useCallback(() => toDocument(nodesRef.current, edgesRef.current), []);
  const record = useCallback(
    (tag) => {
      const h = hist.current;
      const now = Date.now();
      if (tag && h.tag === tag && now - h.at < 1200) {
        h.at = now;
        return;
      }
      h.past.push(snapshot());
      if (h.past.length > 300) h.past.shift();
      h.future = [];
      h.tag = tag || null;
      h.at = now;
      setHistSize([h.past.length, 0]);
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
  const undo = useCallback(() => {
    const h = hist.current;
    if (!h.past.length) return say("Nothing to undo.");
    h.future.push(snapshot());
    h.tag = null;
    load(h.past.pop());
    setHistSize([h.past.length, h.future.length]);
  }, [load, say, snapshot]);
  const redo = useCallback(() => {
    const h = hist.current;
    if (!h.future.length) return say("Nothing to redo.");
    h.past.push(snapshot());
    h.tag = null;
    load(h.future.pop());
    setHistSize([h.past.length, h.future.length]);
  }, [load, say, snapshot]);

  // Palette ----------------------------------------------------------------------------
  useEffect(() => {
    api
      .get(urls.palette)
      .then((data) => {
        const p = { kinds: data.kinds || [], models: data.models || [] };
        setPalette(p);
        decorations.set({ palette: p });
      })
      .catch((err) => say(`The palette could not be loaded: ${err.message}`, "error"));
  }, [api, urls, say]);

  // Validation, debounced; the newest answer wins --------------------------------------
  const validateSeq = useRef(0);
  const applyProblems = useCallback((list, schemas) => {
    const byNode = {};
    const byEdge = {};
    for (const p of list) {
      if (p.node) (byNode[p.node] ||= []).push(p);
      if (p.edge) (byEdge[edgeId(p.edge[0], p.edge[1])] ||= []).push(p);
    }
    decorations.set({ problemsByNode: byNode, problemsByEdge: byEdge, schemas: schemas || {} });
    setProblems(list);
  }, []);
  const validated = useRef(null);
  useEffect(() => {
    const seq = ++validateSeq.current;
    const timer = setTimeout(async () => {
      setValidating(true);
      const t0 = performance.now();
      try {
        const res = await api.post(urls.validate, { document: toDocument(nodesRef.current, edgesRef.current) });
        if (seq !== validateSeq.current) return;
        applyProblems(res.problems || [], res.schemas || {});
        validated.current = graphOnly;
      } catch (err) {
        if (seq !== validateSeq.current) return;
        if (err.extra && Array.isArray(err.extra.problems)) applyProblems(err.extra.problems, {});
        else say(`Validation failed: ${err.message}`, "error");
      } finally {
        if (seq === validateSeq.current) {
          setValidating(false);
          stats.current.validations += 1;
          stats.current.validateMs = performance.now() - t0;
        }
      }
    }, VALIDATE_DELAY);
    return () => clearTimeout(timer);
  }, [graphOnly, api, urls, applyProblems, say]);

  // Drafts: localStorage at once, the server a moment later ----------------------------
  const draftRestored = useRef(false);
  // Whether the server may hold a draft of this user's: an edit undone back to the
  // saved version must not come back as a "restored draft" on the next open.
  const serverDraft = useRef(false);
  const [restoredDraft, setRestoredDraft] = useState(false);
  useEffect(() => {
    if (readOnly || !draftRestored.current) return undefined;
    if (!dirty) {
      localStorage.removeItem(draftKey(chain));
      if (!chain || !serverDraft.current) return undefined;
      const timer = setTimeout(() => {
        api
          .del(urls.draft(chain))
          .then(() => {
            serverDraft.current = false;
            stats.current.draftKey = null;
          })
          .catch(() => {});
      }, DRAFT_DELAY);
      return () => clearTimeout(timer);
    }
    const timer = setTimeout(() => {
      const d = toDocument(nodesRef.current, edgesRef.current);
      try {
        localStorage.setItem(draftKey(chain), JSON.stringify({ document: d, at: Date.now(), base: version }));
      } catch (err) {
        /* storage full or disabled: the server copy still holds */
      }
      if (chain) {
        api
          .put(urls.draft(chain), { document: d, base_number: version || null })
          .then(() => {
            serverDraft.current = true;
            stats.current.drafts += 1;
            stats.current.draftKey = canonical(d);
          })
          .catch(() => {});
      }
    }, DRAFT_DELAY);
    return () => clearTimeout(timer);
  }, [docKey, dirty, chain, version, readOnly, api, urls]);

  useEffect(() => {
    // On open: restore the newest draft (local or server) that differs from the version.
    let cancelled = false;
    async function restore() {
      const local = readLocalDraft(config.chain);
      let server = null;
      if (config.chain && !readOnly) {
        try {
          const data = await api.get(urls.draft(config.chain));
          const d = data && (data.document || (data.draft && data.draft.document));
          if (d) {
            server = { document: d, at: Date.parse(data.updated || 0) || 0, base: data.base_number };
            serverDraft.current = true;
          }
        } catch (err) {
          server = null;
        }
      }
      if (cancelled) return;
      const pick = [local, server].filter((x) => x && x.document).sort((a, b) => (b.at || 0) - (a.at || 0))[0];
      if (pick && canonical(pick.document) !== savedKey && !readOnly) {
        record("draft");
        load(pick.document, new Set());
        const older = pick.base && initialVersion && pick.base !== initialVersion;
        say(older ? `Restored your unsaved draft, started from version ${pick.base} (the latest is ${initialVersion}).` : "Restored your unsaved draft.", "info");
        setDialog(null);
        setRestoredDraft(true);
      }
      draftRestored.current = true;
    }
    restore();
    return () => {
      cancelled = true;
    };
    // Runs once, on open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const discardDraft = useCallback(() => {
    localStorage.removeItem(draftKey(chain));
    if (chain) api.del(urls.draft(chain)).catch(() => {});
    serverDraft.current = false;
    record();
    load(initialDocument, new Set());
    setRestoredDraft(false);
    say("Draft discarded: back to the saved version.");
  }, [chain, api, urls, record, load, initialDocument, say]);

  // Leaving with unsaved changes asks first.
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty && !readOnly;
  useEffect(() => {
    const onLeave = (e) => {
      if (!dirtyRef.current) return undefined;
      e.preventDefault();
      e.returnValue = "";
      return "";
    };
    window.addEventListener("beforeunload", onLeave);
    return () => window.removeEventListener("beforeunload", onLeave);
  }, []);
  // The debounced draft may not have been written yet when the tab goes away.
  const leaving = useRef(null);
  leaving.current = () => {
    if (!draftRestored.current) return;
    if (!dirtyRef.current) {
      if (chain && serverDraft.current) api.del(urls.draft(chain), { keepalive: true }).catch(() => {});
      return;
    }
    const d = toDocument(nodesRef.current, edgesRef.current);
    if (stats.current.draftKey === canonical(d)) return;
    try {
      localStorage.setItem(draftKey(chain), JSON.stringify({ document: d, at: Date.now(), base: version }));
    } catch (err) {
      /* ignore */
    }
    if (chain) api.put(urls.draft(chain), { document: d, base_number: version || null }, { keepalive: true }).catch(() => {});
  };
  useEffect(() => {
    const onHide = () => leaving.current();
    window.addEventListener("pagehide", onHide);
    return () => window.removeEventListener("pagehide", onHide);
  }, []);

  // Editing ------------------------------------------------------------------------------
  const selectedNodes = nodes.filter((n) => n.selected);
  const selected = selectedNodes.length === 1 ? selectedNodes[0] : null;

  const freeSpot = useCallback(() => {
    const list = nodesRef.current;
    const sel = list.filter((n) => n.selected);
    if (sel.length === 1) {
      const s = sel[0];
      const kids = edgesRef.current.filter((e) => e.source === s.id).length;
      return { x: s.position.x + NODE_W + 70, y: s.position.y + kids * (NODE_H + 30) };
    }
    const box = wrapperRef.current ? wrapperRef.current.getBoundingClientRect() : { left: 0, top: 0, width: 800, height: 600 };
    const c = rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
    const n = list.length % 8;
    return { x: c.x - NODE_W / 2 + n * 24, y: c.y - NODE_H / 2 + n * 24 };
  }, [rf]);

  const addNode = useCallback(
    (spec, position) => {
      if (readOnly) return;
      const list = nodesRef.current;
      const taken = new Set(list.map((n) => n.id));
      const id = uniqueId(spec.kind === "model" ? spec.model : spec.kind, taken);
      const from = !position ? list.filter((n) => n.selected) : [];
      const at = position || freeSpot();
      const node = flowNode({ id, kind: spec.kind, params: defaultParams(spec, decorations.get().palette) }, at, true);
      change((ns, es) => {
        const out = { nodes: [...ns.map((n) => (n.selected ? { ...n, selected: false } : n)), node] };
        if (from.length === 1 && !connectionProblem(out.nodes, es, from[0].id, id)) {
          out.edges = [...es, flowEdge(from[0].id, id)];
        }
        return out;
      });
      say(`Added ${spec.kind} node “${id}”.`);
    },
    [readOnly, freeSpot, change, say],
  );

  const connect = useCallback(
    (source, target) => {
      const why = connectionProblem(nodesRef.current, edgesRef.current, source, target);
      if (why) return say(`Cannot connect ${source} → ${target}: ${why}.`, "error");
      change((ns, es) => ({ edges: [...es, flowEdge(source, target)] }));
      return undefined;
    },
    [change, say],
  );
  const disconnect = useCallback(
    (source, target) => change((ns, es) => ({ edges: es.filter((e) => !(e.source === source && e.target === target)) })),
    [change],
  );

  const deleteSelection = useCallback(() => {
    const gone = new Set(nodesRef.current.filter((n) => n.selected).map((n) => n.id));
    const goneEdges = edgesRef.current.filter((e) => e.selected || gone.has(e.source) || gone.has(e.target));
    if (!gone.size && !goneEdges.length) return;
    change((ns, es) => ({
      nodes: ns.filter((n) => !gone.has(n.id)),
      edges: es.filter((e) => !goneEdges.includes(e)),
    }));
    say(`Deleted ${gone.size} node${gone.size === 1 ? "" : "s"} and ${goneEdges.length} edge${goneEdges.length === 1 ? "" : "s"}.`);
  }, [change, say]);

  const copy = useCallback(() => {
    const picked = nodesRef.current.filter((n) => n.selected);
    if (!picked.length) return;
    const ids = new Set(picked.map((n) => n.id));
    clipboard.current = {
      nodes: picked.map((n) => ({ id: n.id, kind: n.data.kind, params: n.data.params, position: n.position })),
      edges: edgesRef.current.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => [e.source, e.target]),
    };
    pasteCount.current = 0;
    try {
      localStorage.setItem("catena:clipboard", JSON.stringify(clipboard.current));
    } catch (err) {
      /* ignore */
    }
    say(`Copied ${picked.length} node${picked.length === 1 ? "" : "s"}.`);
  }, [say]);

  const paste = useCallback(() => {
    let clip = clipboard.current;
    if (!clip) {
      try {
        clip = JSON.parse(localStorage.getItem("catena:clipboard") || "null");
      } catch (err) {
        clip = null;
      }
    }
    if (!clip || !clip.nodes.length) return;
    pasteCount.current += 1;
    const shift = 40 * pasteCount.current;
    change((ns, es) => {
      const taken = new Set(ns.map((n) => n.id));
      const rename = {};
      const added = clip.nodes.map((n) => {
        const id = uniqueId(n.id, taken);
        taken.add(id);
        rename[n.id] = id;
        return flowNode({ id, kind: n.kind, params: n.params }, { x: n.position.x + shift, y: n.position.y + shift }, true);
      });
      return {
        nodes: [...ns.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added],
        edges: [...es.map((e) => (e.selected ? { ...e, selected: false } : e)), ...clip.edges.map(([a, b]) => flowEdge(rename[a], rename[b]))],
      };
    });
    say(`Pasted ${clip.nodes.length} node${clip.nodes.length === 1 ? "" : "s"}.`);
  }, [change, say]);

  const selectAll = useCallback(() => {
    setNodes(nodesRef.current.map((n) => ({ ...n, selected: true })));
  }, [setNodes]);

  const layout = useCallback(() => {
    const at = autoLayout(nodesRef.current, edgesRef.current);
    change((ns) => ({ nodes: ns.map((n) => ({ ...n, position: at[n.id] || n.position })) }));
    setTimeout(() => rf.fitView({ padding: 0.15, duration: 200 }), 30);
  }, [change, rf]);

  const setParams = useCallback(
    (id, params, key) => change((ns) => ({ nodes: ns.map((n) => (n.id === id ? { ...n, data: { ...n.data, params } } : n)) }), `params:${id}:${key}`),
    [change],
  );

  const rename = useCallback(
    (oldId, newId, reset) => {
      if (!ID_RE.test(newId)) {
        say("A node name is 1-64 letters, digits, '_' or '-'.", "error");
        return reset(oldId);
      }
      if (nodesRef.current.some((n) => n.id === newId)) {
        say(`There is already a node named “${newId}”.`, "error");
        return reset(oldId);
      }
      change((ns, es) => ({
        nodes: ns.map((n) => (n.id === oldId ? { ...n, id: newId, ariaLabel: `${n.data.kind} node ${newId}` } : n)),
        edges: es.map((e) =>
          e.source === oldId || e.target === oldId
            ? flowEdge(e.source === oldId ? newId : e.source, e.target === oldId ? newId : e.target, e.selected)
            : e,
        ),
      }));
      return undefined;
    },
    [change, say],
  );

  // React Flow events ------------------------------------------------------------------
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
  const onDragStart = useCallback(() => {
    dragStash.current = snapshot();
  }, [snapshot]);
  const onDragStop = useCallback(() => {
    const before = dragStash.current;
    dragStash.current = null;
    if (before && canonical(before.layout) !== canonical(snapshot().layout)) {
      const h = hist.current;
      h.past.push(before);
      h.future = [];
      h.tag = null;
      setHistSize([h.past.length, 0]);
    }
  }, [snapshot]);
  const isValidConnection = useCallback(
    (c) => !connectionProblem(nodesRef.current, edgesRef.current, c.source, c.target),
    [],
  );
  const onConnect = useCallback((c) => connect(c.source, c.target), [connect]);
  const onConnectStart = useCallback((event, { nodeId, handleType }) => {
    const ok = new Set();
    for (const n of nodesRef.current) {
      const [s, t] = handleType === "target" ? [n.id, nodeId] : [nodeId, n.id];
      if (!connectionProblem(nodesRef.current, edgesRef.current, s, t)) ok.add(n.id);
    }
    ok.add(nodeId);
    decorations.set({ connectTargets: ok });
  }, []);
  const onConnectEnd = useCallback(() => decorations.set({ connectTargets: null }), []);

  const onDrop = useCallback(
    (e) => {
      const raw = e.dataTransfer.getData(DRAG_TYPE);
      if (!raw) return;
      e.preventDefault();
      const spec = JSON.parse(raw);
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(spec, { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - NODE_H / 2) });
    },
    [rf, addNode],
  );
  const onDragOver = useCallback((e) => {
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const focusNode = useCallback(
    (id) => {
      const n = nodesRef.current.find((x) => x.id === id);
      if (!n) return;
      setNodes(nodesRef.current.map((x) => (x.selected !== (x.id === id) ? { ...x, selected: x.id === id } : x)));
      setEdges(edgesRef.current.map((e) => (e.selected ? { ...e, selected: false } : e)));
      const w = n.measured?.width || NODE_W;
      const h = n.measured?.height || NODE_H;
      rf.setCenter(n.position.x + w / 2, n.position.y + h / 2, { zoom: Math.max(rf.getZoom(), 0.8), duration: 200 });
    },
    [rf, setNodes, setEdges],
  );

  // Fixes for edges whose columns do not fit ---------------------------------------------
  const fixEdge = useCallback(
    (source, target) => {
      const t = nodesRef.current.find((n) => n.id === target);
      if (!t || t.data.kind !== "model") return;
      const schemas = decorations.get().schemas;
      const columns = upstreamColumns(target, edgesRef.current, schemas);
      let features = modelFeatures(decorations.get().palette, t.data.params);
      if (!features) {
        const p = (decorations.get().problemsByNode[target] || []).find((x) => x.code === "missing_features");
        const m = p && p.message.match(/missing features upstream: (.*)$/);
        features = m ? m[1].split(", ") : [];
      }
      const current = t.data.params.columns || {};
      const guess = bestMapping(features, columns, current);
      // dtype_mismatch: "feature 'f' needs float, column 'c' is str" -> cast c.
      const casts = {};
      for (const p of decorations.get().problemsByEdge[edgeId(source, target)] || []) {
        const m = p.code === "dtype_mismatch" && p.message.match(/needs (\w+), column '([^']+)' is/);
        if (m) casts[m[2]] = m[1];
      }
      // Features already present by name need no entry.
      const mapping = {};
      for (const f of features) if (guess[f] && guess[f] !== f) mapping[f] = guess[f];
      setDialog({ type: "mapping", source, target, features, columns, mapping, casts });
    },
    [],
  );
  useEffect(() => {
    decorations.set({ actions: { fixEdge } });
  }, [fixEdge]);

  const applyMapping = useCallback(
    (target, mapping) => {
      setParams(target, { ...nodesRef.current.find((n) => n.id === target).data.params, columns: Object.keys(mapping).length ? mapping : undefined }, "fix");
      setDialog(null);
      say(`Column mapping of “${target}” set.`);
    },
    [setParams, say],
  );
  const insertTransform = useCallback(
    (source, target, mapping, casts) => {
      // rename {upstream: feature}; only one feature may take a given column.
      const renames = {};
      for (const [f, c] of Object.entries(mapping || {})) if (c && !(c in renames)) renames[c] = f;
      const ops = [];
      if (casts && Object.keys(casts).length) ops.push({ op: "cast", columns: casts });
      if (Object.keys(renames).length) ops.push({ op: "rename", mapping: renames });
      change((ns, es) => {
        const taken = new Set(ns.map((n) => n.id));
        const id = uniqueId(`fit-${target}`, taken);
        const s = ns.find((n) => n.id === source);
        const t = ns.find((n) => n.id === target);
        const at = { x: Math.round((s.position.x + t.position.x) / 2), y: Math.round((s.position.y + t.position.y) / 2) + 50 };
        const node = flowNode({ id, kind: "transform", params: { ops } }, at, true);
        return {
          nodes: [...ns.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
          edges: [...es.filter((e) => !(e.source === source && e.target === target)), flowEdge(source, id), flowEdge(id, target)],
        };
      });
      setDialog(null);
      say(`Inserted a transform (${ops.map((o) => o.op).join(", ")}) on the edge.`);
    },
    [change, say],
  );

  // Save --------------------------------------------------------------------------------
  const runAfterSave = useRef(false);
  const save = useCallback(
    async ({ message, name, title }) => {
      let target = chain;
      const d = toDocument(nodesRef.current, edgesRef.current);
      const key = canonical(d);
      const t0 = performance.now();
      if (!target) {
        if (!name || !ID_RE.test(name)) throw new Error("Give the chain a name: letters, digits, '_' or '-'.");
        const created = await api.post(urls.chains, { name, title: title || name });
        target = created.name || name;
        setChain(target);
        window.history.replaceState(null, "", urls.edit(target));
        localStorage.removeItem(draftKey(null));
      }
      const res = await api.post(urls.versions(target), { document: d, message: message || "" });
      stats.current.saves += 1;
      stats.current.saveMs = performance.now() - t0;
      setSavedKey(key);
      localStorage.removeItem(draftKey(target));
      setRestoredDraft(false);
      if (!(res && res.unchanged)) {
        // A new version removes the user's draft on the server.
        serverDraft.current = false;
        stats.current.draftKey = null;
      }
      if (res && res.unchanged) {
        const n = res.number ?? res.version ?? version;
        say(`No changes since version ${n}: nothing saved.`);
        if (n) setVersion(n);
        return res;
      }
      const n = res.number ?? res.version;
      setVersion(n);
      say(`Saved version ${n}.`, "success");
      return res;
    },
    [chain, api, urls, version, say],
  );

  const openSave = useCallback(
    (thenRun = false) => {
      if (readOnly) return say("You may not change this chain.", "error");
      runAfterSave.current = thenRun;
      setDialog({ type: "save" });
      return undefined;
    },
    [readOnly, say],
  );

  // Import / export ---------------------------------------------------------------------
  const exportDoc = useCallback(() => {
    const blob = new Blob([JSON.stringify(toDocument(nodesRef.current, edgesRef.current), null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${chain || "chain"}${version ? `-v${version}` : ""}.catena.json`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, [chain, version]);
  const importDoc = useCallback(
    async (file) => {
      try {
        const data = JSON.parse(await file.text());
        // A graph document, or the server's export manifest that holds one.
        const d = data && data.format === FORMAT ? data : data && data.document;
        if (!d || d.format !== FORMAT || !Array.isArray(d.nodes) || !Array.isArray(d.edges)) {
          throw new Error(`not a “${FORMAT}” document`);
        }
        change(() => toFlow(d));
        setTimeout(() => rf.fitView({ padding: 0.15 }), 30);
        say(`Imported ${d.nodes.length} nodes from ${file.name}.`, "success");
      } catch (err) {
        say(`Cannot import ${file.name}: ${err.message}`, "error");
      }
    },
    [change, rf, say],
  );

  // Runs ---------------------------------------------------------------------------------
  const pickRunRef = useRef(null);
  const loadRuns = useCallback(
    (showLatest = false) => {
      if (!chain) return;
      api
        .get(`${urls.runs}?chain=${encodeURIComponent(chain)}`)
        .then((data) => {
          const list = listOf(data, "runs")
            .filter((r) => !r.chain || r.chain === chain || r.chain?.name === chain)
            .sort((a, b) => b.id - a.id);
          setRuns(list);
          // On open the latest run is shown, so its outputs are a click away.
          if (showLatest && list.length) pickRunRef.current(String(list[0].id));
        })
        .catch(() => {});
    },
    [api, urls, chain],
  );
  useEffect(() => {
    api
      .get(urls.datasets)
      .then((data) => {
        const list = listOf(data, "datasets");
        setDatasets(list);
        // The newest data set that fits the chain's input, else the only one.
        const fitting = datasetsByFit(list, toDocument(nodesRef.current, edgesRef.current));
        const first = fitting.find((d) => !d.lacks.length) || (list.length === 1 ? list[0] : null);
        if (first) setDataset((current) => current || String(first.id));
      })
      .catch(() => {});
    loadRuns(true);
    // Once, on open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const showRun = useCallback(
    (data) => {
      setRunData(data);
      const map = nodeMap(data);
      decorations.set({ nodeStatus: map });
    },
    [],
  );
  const follow = useCallback(
    (id) => {
      clearTimeout(pollRef.current);
      setRunDetail(null);
      const tick = async () => {
        try {
          const data = await api.get(urls.status(id));
          showRun(data);
          if (TERMINAL.has(data.status)) {
            loadRuns();
            api.get(urls.run(id)).then(setRunDetail).catch(() => {});
            return;
          }
        } catch (err) {
          say(`Run #${id}: ${err.message}`, "error");
          return;
        }
        pollRef.current = setTimeout(tick, POLL_MS);
      };
      tick();
    },
    [api, urls, showRun, loadRuns, say],
  );
  useEffect(() => () => clearTimeout(pollRef.current), []);
  const pickRun = useCallback(
    (id) => {
      setRunId(id);
      if (!id) {
        clearTimeout(pollRef.current);
        setRunData(null);
        setRunDetail(null);
        decorations.set({ nodeStatus: {} });
        return;
      }
      follow(id);
    },
    [follow],
  );
  pickRunRef.current = pickRun;
  const startRun = useCallback(async () => {
    if (!dataset) return say("Choose a data set first.", "error");
    if (!chain || !version || dirtyRef.current) return openSave(true);
    try {
      const run = await api.post(urls.runsCreate, { chain, version, dataset: /^\d+$/.test(dataset) ? Number(dataset) : dataset });
      say(`Run #${run.id} started.`);
      setRunId(String(run.id));
      decorations.set({ nodeStatus: {} });
      follow(run.id);
      loadRuns();
    } catch (err) {
      say(`The run did not start: ${err.message}`, "error");
    }
    return undefined;
  }, [dataset, chain, version, api, urls, follow, loadRuns, openSave, say]);

  const runNodes = useMemo(() => {
    const fromDetail = runDetail ? nodeMap(runDetail) : {};
    const fromStatus = runData ? nodeMap(runData) : {};
    const out = { ...fromStatus };
    for (const [k, v] of Object.entries(fromDetail)) out[k] = { ...(out[k] || {}), ...v };
    return out;
  }, [runData, runDetail]);
  const runStatus = runData ? runData.status : null;
  const selectedId = selected ? selected.id : null;
  const doneCount = runData ? runData.done : null;
  useEffect(() => {
    // Node outputs (preview, timing, model) come with the run's detail.
    if (!runId || !selectedId) return;
    api.get(urls.run(runId)).then(setRunDetail).catch(() => {});
  }, [runId, selectedId, doneCount, api, urls]);
  const running = runStatus !== null && !TERMINAL.has(runStatus);

  // Keyboard -------------------------------------------------------------------------------
  const keys = useRef(null);
  keys.current = (e) => {
    const mod = e.ctrlKey || e.metaKey;
    const k = e.key.toLowerCase();
    if (mod && k === "s") {
      e.preventDefault();
      openSave();
      return;
    }
    if (mod && e.key === "Enter") {
      e.preventDefault();
      startRun();
      return;
    }
    if (dialog || isTyping(e.target)) return;
    if (mod && k === "z" && !e.shiftKey) return e.preventDefault(), undo();
    if ((mod && k === "z" && e.shiftKey) || (mod && k === "y")) return e.preventDefault(), redo();
    if (mod && k === "c") return copy();
    if (mod && k === "v") return e.preventDefault(), paste();
    if (mod && k === "a") return e.preventDefault(), selectAll();
    if (mod || e.altKey) return;
    if (e.key === "Delete" || e.key === "Backspace") return e.preventDefault(), deleteSelection();
    if (e.key === "?") return setDialog({ type: "shortcuts" });
    if (k === "l") return layout();
    if (k === "f") return rf.fitView({ padding: 0.15, duration: 200 });
    if (e.key === "+" || e.key === "=") return rf.zoomIn({ duration: 100 });
    if (e.key === "-") return rf.zoomOut({ duration: 100 });
    if (e.key === "/") return e.preventDefault(), searchRef.current && searchRef.current.focus();
    if (e.key === "Escape") {
      setNodes(nodesRef.current.map((n) => (n.selected ? { ...n, selected: false } : n)));
      setEdges(edgesRef.current.map((x) => (x.selected ? { ...x, selected: false } : x)));
    }
  };
  useEffect(() => {
    const onKey = (e) => keys.current(e);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Test and benchmark hooks: read-only views of the editor's state.
  useEffect(() => {
    window.catenaEditor = {
      document: () => toDocument(nodesRef.current, edgesRef.current),
      stats: () => ({ ...stats.current }),
      problems: () => decorations.get(),
      // True once the server holds the document as it is now as the draft.
      draftSaved: () => stats.current.draftKey === canonical(toDocument(nodesRef.current, edgesRef.current)),
      // True once the shown problems belong to the graph as it is now.
      settled: () => {
        const d = toDocument(nodesRef.current, edgesRef.current);
        return validated.current === canonical({ nodes: d.nodes, edges: d.edges });
      },
    };
  }, []);

  const errors = problems.filter((p) => p.severity !== "warning").length;

  return (
    <div className="catena-editor" data-dirty={dirty ? "true" : "false"} data-validating={validating ? "true" : "false"}>
      <div className="editor-bar" role="toolbar" aria-label="Editor">
        <div className="editor-title">
          <h1 className="editor-h1">{chain ? (title || chain) : "New chain"}</h1>{" "}
          <span className="badge" data-testid="version">{version ? `version ${version}` : "not saved"}</span>{" "}
          {dirty && !readOnly && <span className="badge warning" data-testid="unsaved">unsaved changes</span>}
          {readOnly && <span className="badge">read only</span>}
        </div>
        <div className="bar-group">
          <button type="button" onClick={undo} disabled={!histSize[0] || readOnly} aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)">↶</button>
          <button type="button" onClick={redo} disabled={!histSize[1] || readOnly} aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)">↷</button>
          <button type="button" onClick={layout} disabled={readOnly} aria-label="Auto-layout (L)" title="Auto-layout (L)">Layout</button>
          <button type="button" onClick={() => rf.fitView({ padding: 0.15, duration: 200 })} aria-label="Fit the chain in view (F)" title="Fit (F)">Fit</button>
          <button type="button" onClick={exportDoc} aria-label="Export the graph document">Export</button>
          {chain && version && (
            <a className="button" href={urls.bundle(chain, version)} aria-label={`Download version ${version} with its model files (zip)`} title="Version with its model files (zip)">Zip</a>
          )}
          <button type="button" onClick={() => fileRef.current.click()} disabled={readOnly} aria-label="Import a graph document">Import</button>
          <input ref={fileRef} type="file" accept=".json,application/json" className="sr-only" tabIndex={-1} aria-label="Graph document to import"
            onChange={(e) => { if (e.target.files[0]) importDoc(e.target.files[0]); e.target.value = ""; }} />
          <button type="button" onClick={() => setDialog({ type: "shortcuts" })} aria-label="Keyboard shortcuts (?)" title="Shortcuts (?)">?</button>
          <button type="button" className="primary" onClick={() => openSave()} disabled={readOnly} aria-label="Save a new version (Ctrl+S)">Save</button>
        </div>
        <RunBar datasets={runDatasets} dataset={dataset} setDataset={setDataset} runs={runs} runId={runId} pickRun={pickRun}
          onRun={startRun} running={running} progress={runData ? progressOf(runData, nodeMap(runData)) : 0}
          canRun={!!chain} runStatus={runStatus} />
      </div>
      {restoredDraft && (
        <div className="draft-note" role="status">
          Restored your unsaved draft. <button type="button" className="link" onClick={discardDraft}>Discard it</button>
        </div>
      )}
      <div className="editor-main">
        <Palette palette={palette} onAdd={(spec) => addNode(spec)} readOnly={readOnly} searchRef={searchRef} />
        <div className="canvas" ref={wrapperRef} onDrop={onDrop} onDragOver={onDragOver} aria-label="Canvas" role="application">
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            defaultEdgeOptions={defaultEdgeOptions}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onConnectStart={onConnectStart}
            onConnectEnd={onConnectEnd}
            isValidConnection={isValidConnection}
            onNodeDragStart={onDragStart}
            onNodeDragStop={onDragStop}
            onSelectionDragStart={onDragStart}
            onSelectionDragStop={onDragStop}
            nodesDraggable={!readOnly}
            nodesConnectable={!readOnly}
            deleteKeyCode={null}
            selectionKeyCode="Shift"
            multiSelectionKeyCode={["Meta", "Control", "Shift"]}
            connectionRadius={30}
            fitView
            fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
            minZoom={0.1}
            onlyRenderVisibleElements={nodes.length > 150}
            ariaLabelConfig={{ "node.a11yDescription.default": "Press Enter or Space to select the node, Delete to remove it, arrow keys to move it." }}
          >
            <Background gap={20} />
            <Controls showInteractive={false} aria-label="Zoom controls" />
            <MiniMap pannable zoomable ariaLabel="Mini map" nodeColor={(n) => minimapColor(n)} />
          </ReactFlow>
          {nodes.length === 0 && (
            <div className="canvas-empty" aria-hidden="true">
              Drag an <strong>Input</strong>, some models and an <strong>Output</strong> here, then wire them from right to left handles.
            </div>
          )}
        </div>
        <aside className="side" aria-label="Details">
          <Inspector node={selected} nodes={nodes} edges={edges} palette={palette} readOnly={readOnly}
            onParams={setParams} onRename={rename} onConnect={connect} onDisconnect={disconnect}>
            {selected && runId && (
              <section className="run-output" aria-label="Run output">
                <h3>Run <a href={(runDetail && runDetail.url) || `/runs/${runId}/`}>#{runId}</a>: output of {selected.id}</h3>
                <NodeOutput nodeId={selected.id} node={runNodes[selected.id]} run={{ id: runId }}
                  csvUrl={`${urls.run(runId)}nodes/${encodeURIComponent(selected.id)}/output?format=csv`} />
              </section>
            )}
          </Inspector>
          {selectedNodes.length > 1 && <p className="muted small">{selectedNodes.length} nodes selected.</p>}
          <ProblemsPanel problems={problems} validating={validating} onPick={(p) => focusNode(p.node || (p.edge && p.edge[1]))} />
          <p className="muted small status-line">{errors ? `${errors} error${errors === 1 ? "" : "s"}` : "Valid"} · {nodes.length} nodes · {edges.length} edges</p>
        </aside>
      </div>
      <div className={`toast ${toast ? toast.kind : ""}`} role="status" aria-live="polite" data-testid="toast">
        {toast ? toast.text : ""}
      </div>
      {dialog && dialog.type === "shortcuts" && <ShortcutsSheet onClose={() => setDialog(null)} />}
      {dialog && dialog.type === "save" && (
        <SaveDialog chain={chain} problems={errors} onClose={() => setDialog(null)}
          onSave={async (fields) => {
            await save(fields);
            setDialog(null);
            if (runAfterSave.current) {
              runAfterSave.current = false;
              setTimeout(() => document.querySelector(".run-bar button.primary")?.click(), 50);
            }
          }} />
      )}
      {dialog && dialog.type === "mapping" && (
        <MappingDialog {...dialog} onClose={() => setDialog(null)} onApply={applyMapping} onInsert={insertTransform} />
      )}
    </div>
  );
}

function minimapColor(n) {
  const st = decorations.get().nodeStatus[n.id];
  if (st) return { done: "#2f9e44", succeeded: "#2f9e44", reused: "#7048e8", failed: "#e03131", running: "#1c7ed6" }[st.status] || "#adb5bd";
  if (decorations.get().problemsByNode[n.id]) return "#e03131";
  return "#94a3b8";
}

function SaveDialog({ chain, problems, onSave, onClose }) {
  const [message, setMessage] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSave({ message, name, title: name });
    } catch (err) {
      const extra = err.extra && err.extra.problems ? err.extra.problems.map((p) => p.message) : [];
      setError([err.message, ...extra]);
      setBusy(false);
    }
  };
  return (
    <Modal title="Save a new version" onClose={onClose}>
      <form onSubmit={submit}>
        {!chain && (
          <>
            <label htmlFor="save-name">Chain name</label>
            <input id="save-name" type="text" value={name} required pattern="[A-Za-z0-9_\-]{1,64}" onChange={(e) => setName(e.target.value)} />
          </>
        )}
        <label htmlFor="save-message">Message <span className="muted">(optional)</span></label>
        <input id="save-message" type="text" value={message} onChange={(e) => setMessage(e.target.value)} placeholder="What changed?" />
        {problems > 0 && <p className="help">The chain has {problems} problem{problems === 1 ? "" : "s"}; the server refuses to save an invalid chain, your draft keeps it meanwhile.</p>}
        {error && (
          <ul className="errorlist" role="alert">{error.map((m, i) => <li key={i}>{m}</li>)}</ul>
        )}
        <div className="modal-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>{busy ? "Saving…" : "Save version"}</button>
        </div>
      </form>
    </Modal>
  );
}

function MappingDialog({ source, target, features, columns, mapping: initial, casts, onApply, onInsert, onClose }) {
  const [mapping, setMapping] = useState(initial);
  const missing = features.filter((f) => !mapping[f] && !columns.includes(f));
  return (
    <Modal title={`Fit the columns of ${source} to ${target}`} onClose={onClose} wide>
      <p className="help">Each feature of the model takes a column from upstream. The choices are pre-filled by best name match.</p>
      <MappingEditor features={features} columns={columns} value={mapping} onChange={(m) => setMapping(m || {})} />
      {missing.length > 0 && <p className="error">Still missing: {missing.join(", ")}</p>}
      <div className="modal-actions">
        <button type="button" onClick={onClose}>Cancel</button>
        {casts && Object.keys(casts).length > 0 && (
          <button type="button" onClick={() => onInsert(source, target, {}, casts)}>
            Insert a cast transform ({Object.entries(casts).map(([c, d]) => `${c} → ${d}`).join(", ")})
          </button>
        )}
        <button type="button" onClick={() => onInsert(source, target, mapping)} disabled={!Object.keys(mapping).length}>Insert a rename transform</button>
        <button type="button" className="primary" onClick={() => onApply(target, mapping)}>Apply the column mapping</button>
      </div>
    </Modal>
  );
}
