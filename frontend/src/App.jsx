// The editor: one document, checked by the server, saved, drafted and run.
// Each concern is a hook of its own (document/, validation/, drafts/, runs/,
// shortcuts/, dialogs/); this component wires them and lays out the page.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { makeApi } from "./api.js";
import Canvas from "./Canvas.jsx";
import { fixOps, fixPlan } from "./dialogs/fix.js";
import FixDialog from "./dialogs/FixDialog.jsx";
import { exportName, parseImport } from "./dialogs/importExport.js";
import SaveDialog from "./dialogs/SaveDialog.jsx";
import VariantsDialog from "./dialogs/VariantsDialog.jsx";
import { useSave } from "./dialogs/useSave.js";
import { canonical, datasetsByFit, toDocument, toFlow } from "./doc.js";
import { insertTransformEdit } from "./document/edits.js";
import { useDocument } from "./document/useDocument.js";
import { useEditing } from "./document/useEditing.js";
import { useDrafts } from "./drafts/useDrafts.js";
import Inspector from "./Inspector.jsx";
import { Palette, ProblemsPanel, ShortcutsSheet } from "./panels.jsx";
import { NodeMenu, NodeOutput, NodeRunActions } from "./RunPanel.jsx";
import { targetOf, variantBases } from "./runs/runs.js";
import { useRuns } from "./runs/useRuns.js";
import { useShortcuts } from "./shortcuts/useShortcuts.js";
import { decorations } from "./store.js";
import Toolbar from "./Toolbar.jsx";
import { urlsFrom } from "./urls.js";
import { errorCount, problemNode } from "./validation/problems.js";
import { useValidation } from "./validation/useValidation.js";

export default function App(props) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function useToast() {
  const [toast, setToast] = useState(null);
  const say = useCallback((text, kind = "info") => setToast({ text, kind, at: Date.now() }), []);
  useEffect(() => {
    if (!toast) return undefined;
    const timer = setTimeout(() => setToast(null), toast.kind === "error" ? 8000 : 5000);
    return () => clearTimeout(timer);
  }, [toast]);
  return [toast, say];
}

function usePalette(api, urls, say) {
  const [palette, setPalette] = useState({ kinds: [], models: [], chains: [] });
  useEffect(() => {
    api.get(urls.palette).then((data) => {
      const p = { kinds: data.kinds || [], models: data.models || [], chains: data.chains || [] };
      setPalette(p);
      decorations.set({ palette: p });
    }).catch((err) => say(`The palette could not be loaded: ${err.message}`, "error"));
  }, [api, urls, say]);
  return palette;
}

// Test and benchmark hooks: read-only views of the editor's state.
function useTestHooks(d, stats, validated) {
  useEffect(() => {
    const now = () => toDocument(d.nodesRef.current, d.edgesRef.current);
    window.catenaEditor = {
      document: now,
      stats: () => ({ ...stats.current }),
      problems: () => decorations.get(),
      // True once the server holds the document as it is now as the draft.
      draftSaved: () => stats.current.draftKey === canonical(now()),
      // True once the shown problems belong to the graph as it is now.
      settled: () => validated.current === canonical({ nodes: now().nodes, edges: now().edges }),
    };
  }, [d, stats, validated]);
}

function Editor({ initialDocument, config, initialVersion, title }) {
  const api = useMemo(() => makeApi(config), [config]);
  const urls = useMemo(() => urlsFrom(config), [config]);
  const readOnly = config.can_edit === false;
  const rf = useReactFlow();
  const [chain, setChain] = useState(config.chain || null);
  const [version, setVersion] = useState(initialVersion ?? null);
  const [toast, say] = useToast();
  const [dialog, setDialog] = useState(null);
  const [menu, setMenu] = useState(null);
  const searchRef = useRef(null);
  const wrapperRef = useRef(null);
  const stats = useRef({ validations: 0, validateMs: null, saves: 0, saveMs: null, drafts: 0 });

  const d = useDocument({ initialDocument, readOnly, say });
  const { nodes, edges, nodesRef, edgesRef } = d;
  const [savedKey, setSavedKey] = useState(() => canonical(toDocument(d.start.nodes, d.start.edges)));
  const palette = usePalette(api, urls, say);
  const doc = useMemo(() => toDocument(nodes, edges), [nodes, edges]);
  const docKey = useMemo(() => canonical(doc), [doc]);
  const graphOnly = useMemo(() => canonical({ nodes: doc.nodes, edges: doc.edges }), [doc]);
  const dirty = docKey !== savedKey;

  const onRestore = (document, text) => {
    d.record("draft");
    d.load(document, new Set());
    say(text, "info");
    setDialog(null);
  };
  const drafts = useDrafts({ api, urls, config, chain, version, readOnly, dirty, docKey, savedKey, nodesRef, edgesRef, stats, initialVersion, onRestore });
  const discardDraft = () => {
    drafts.discardDraft();
    d.record();
    d.load(initialDocument, new Set());
    say("Draft discarded: back to the saved version.");
  };
  const edit = useEditing({ doc: d, rf, readOnly, say, wrapperRef });
  const selectedNodes = nodes.filter((n) => n.selected);
  const selected = selectedNodes.length === 1 ? selectedNodes[0] : null;
  const runs = useRuns({ api, urls, chain, nodesRef, edgesRef, selectedId: selected ? selected.id : null, say });
  const target = targetOf(runs.datasets, runs.dataset);
  const { problems, validating, validated } = useValidation({ api, urls, chain, target, graphOnly, nodesRef, edgesRef, stats, say });
  const runDatasets = useMemo(() => datasetsByFit(runs.datasets, doc), [runs.datasets, doc]);
  const { save, runAfterSave } = useSave({ api, urls, chain, setChain, version, setVersion, setSavedKey, nodesRef, edgesRef, stats, drafts, say });

  // Fixes for edges whose columns do not fit ----------------------------------------
  const fixEdge = useCallback((source, target) => {
    const plan = fixPlan({ source, target, nodes: nodesRef.current, edges: edgesRef.current, decorations: decorations.get() });
    if (plan) setDialog({ type: "mapping", ...plan });
  }, [nodesRef, edgesRef]);
  useEffect(() => decorations.set({ actions: { fixEdge } }), [fixEdge]);
  const applyMapping = (target, mapping) => {
    const params = nodesRef.current.find((n) => n.id === target).data.params;
    edit.setParams(target, { ...params, columns: Object.keys(mapping).length ? mapping : undefined }, "fix");
    setDialog(null);
    say(`Column mapping of “${target}” set.`);
  };
  const insertTransform = (source, target, mapping, casts) => {
    const ops = fixOps(mapping, casts);
    d.change((ns, es) => insertTransformEdit(ns, es, source, target, ops));
    setDialog(null);
    say(`Inserted a transform (${ops.map((o) => o.op).join(", ")}) on the edge.`);
  };

  // Save, run, files ------------------------------------------------------------------
  // `thenRun`: false, true (run the chain once saved) or {until} (run up to a node).
  const openSave = (thenRun = false) => {
    if (readOnly) return say("You may not change this chain.", "error");
    runAfterSave.current = thenRun;
    setDialog({ type: "save", thenRun });
    return undefined;
  };
  const startRun = () => {
    if (!runs.dataset) return say("Choose a data set first.", "error");
    if (!chain || !version || drafts.dirtyRef.current) return openSave(true);
    return runs.startRun(version);
  };
  // Run the saved version up to a node (the selected one by default).
  const runUntil = (nodeId) => {
    const id = typeof nodeId === "string" ? nodeId : selected && selected.id;
    const found = id && nodesRef.current.find((n) => n.id === id);
    if (!found) return say("Select the node to run up to first.", "error");
    if (found.data.kind === "output") return startRun();
    if (!runs.dataset) return say("Choose a data set first.", "error");
    if (!chain || !version || drafts.dirtyRef.current) return openSave({ until: id });
    return runs.startRun(version, id);
  };
  const runUntilRef = useRef(runUntil);
  runUntilRef.current = runUntil;
  const tryVariants = (nodeId) => setDialog({ type: "variants", node: nodeId });
  const exportDoc = () => {
    const blob = new Blob([JSON.stringify(toDocument(nodesRef.current, edgesRef.current), null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = exportName(chain, version);
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  const importDoc = async (file) => {
    try {
      const imported = parseImport(await file.text());
      d.change(() => toFlow(imported));
      setTimeout(() => rf.fitView({ padding: 0.15 }), 30);
      say(`Imported ${imported.nodes.length} nodes from ${file.name}.`, "success");
    } catch (err) {
      say(`Cannot import ${file.name}: ${err.message}`, "error");
    }
  };
  const shortcuts = () => setDialog({ type: "shortcuts" });

  useShortcuts({
    save: () => openSave(), run: startRun, runUntil, undo: d.undo, redo: d.redo, copy: edit.copy, paste: edit.paste,
    selectAll: edit.selectAll, delete: edit.deleteSelection, shortcuts, layout: edit.layout, fit: edit.fit,
    zoomIn: () => rf.zoomIn({ duration: 100 }), zoomOut: () => rf.zoomOut({ duration: 100 }),
    search: () => searchRef.current && searchRef.current.focus(), clearSelection: edit.clearSelection,
  }, dialog);
  useTestHooks(d, stats, validated);

  const errors = errorCount(problems);
  const { runId, runDetail, runNodes } = runs;
  const actions = { undo: d.undo, redo: d.redo, layout: edit.layout, fit: edit.fit, exportDoc, importDoc, shortcuts, save: openSave, run: startRun };
  return (
    <div className="catena-editor" data-dirty={dirty ? "true" : "false"} data-validating={validating ? "true" : "false"}>
      <Toolbar chain={chain} title={title} version={version} dirty={dirty} readOnly={readOnly} histSize={d.histSize}
        actions={actions} urls={urls} runs={runs} runDatasets={runDatasets} />
      {drafts.restoredDraft && (
        <div className="draft-note" role="status">
          Restored your unsaved draft. <button type="button" className="link" onClick={discardDraft}>Discard it</button>
        </div>
      )}
      <div className="editor-main">
        <Palette palette={palette} onAdd={(spec) => edit.addNode(spec)} readOnly={readOnly} searchRef={searchRef} />
        <Canvas doc={d} edit={edit} readOnly={readOnly} wrapperRef={wrapperRef}
          onNodeMenu={(event, node) => { event.preventDefault(); setMenu({ id: node.id, kind: node.data.kind, x: event.clientX, y: event.clientY }); }}
          onPaneClick={() => setMenu(null)} />
        <aside className="side" aria-label="Details">
          <Inspector node={selected} nodes={nodes} edges={edges} palette={palette} readOnly={readOnly}
            onParams={edit.setParams} onRename={edit.rename} onConnect={edit.connect} onDisconnect={edit.disconnect}>
            <NodeRunActions node={selected} canRun={!!chain} running={runs.running} onRunUntil={runUntil} onVariants={tryVariants} />
            {selected && runId && (
              <section className="run-output" aria-label="Run output">
                <h3>Run <a href={(runDetail && runDetail.url) || `/runs/${runId}/`}>#{runId}</a>: output of {selected.id}</h3>
                <NodeOutput nodeId={selected.id} node={runNodes[selected.id]} run={{ id: runId }}
                  csvUrl={`${urls.run(runId)}nodes/${encodeURIComponent(selected.id)}/output?format=csv`} />
              </section>
            )}
          </Inspector>
          {selectedNodes.length > 1 && <p className="muted small">{selectedNodes.length} nodes selected.</p>}
          <ProblemsPanel problems={problems} validating={validating} onPick={(p) => edit.focusNode(problemNode(p))} />
          <p className="muted small status-line">{errors ? `${errors} error${errors === 1 ? "" : "s"}` : "Valid"} · {nodes.length} nodes · {edges.length} edges</p>
        </aside>
      </div>
      <div className={`toast ${toast ? toast.kind : ""}`} role="status" aria-live="polite" data-testid="toast">
        {toast ? toast.text : ""}
      </div>
      {dialog && dialog.type === "shortcuts" && <ShortcutsSheet onClose={() => setDialog(null)} />}
      {dialog && dialog.type === "save" && (
        <SaveDialog chain={chain} problems={errors} onClose={() => setDialog(null)} thenRun={dialog.thenRun}
          onSave={async (fields) => {
            await save(fields);
            setDialog(null);
            const then = runAfterSave.current;
            runAfterSave.current = false;
            if (then && then.until) setTimeout(() => runUntilRef.current(then.until), 50);
            else if (then) setTimeout(() => document.querySelector(".run-bar button.primary")?.click(), 50);
          }} />
      )}
      {dialog && dialog.type === "variants" && (
        <VariantsDialog nodeId={dialog.node} version={version} dirty={dirty} datasets={runs.datasets} running={runs.running}
          bases={variantBases(runs.runs, { version, nodeId: dialog.node, edges: doc.edges })}
          onRunUntil={runUntil} runPage={urls.runPage} onClose={() => setDialog(null)} />
      )}
      {menu && (
        <NodeMenu menu={menu} canRun={!!chain} running={runs.running} onClose={() => setMenu(null)}
          onRunUntil={runUntil} onVariants={tryVariants} />
      )}
      {dialog && dialog.type === "mapping" && (
        <FixDialog {...dialog} onClose={() => setDialog(null)} onApply={applyMapping} onInsert={insertTransform} />
      )}
    </div>
  );
}
