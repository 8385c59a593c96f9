// The editor's top bar: title and state, history, layout, files, save and run.
import { useRef } from "react";
import { RunBar } from "./RunPanel.jsx";
import { nodeMap, progressOf } from "./runs/runs.js";

export default function Toolbar({ chain, title, version, dirty, readOnly, histSize, actions: a, urls, runs: r, runDatasets }) {
  const fileRef = useRef(null);
  return (
    <div className="editor-bar" role="toolbar" aria-label="Editor">
      <div className="editor-title">
        <h1 className="editor-h1">{chain ? (title || chain) : "New chain"}</h1>{" "}
        <span className="badge" data-testid="version">{version ? `version ${version}` : "not saved"}</span>{" "}
        {dirty && !readOnly && <span className="badge warning" data-testid="unsaved">unsaved changes</span>}
        {readOnly && <span className="badge">read only</span>}
      </div>
      <div className="bar-group">
        <button type="button" onClick={a.undo} disabled={!histSize[0] || readOnly} aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)">↶</button>
        <button type="button" onClick={a.redo} disabled={!histSize[1] || readOnly} aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)">↷</button>
        <button type="button" onClick={a.layout} disabled={readOnly} aria-label="Auto-layout (L)" title="Auto-layout (L)">Layout</button>
        <button type="button" onClick={a.fit} aria-label="Fit the chain in view (F)" title="Fit (F)">Fit</button>
        <button type="button" onClick={a.exportDoc} aria-label="Export the graph document">Export</button>
        {chain && version && (
          <a className="button" href={urls.bundle(chain, version)} aria-label={`Download version ${version} with its model files (zip)`} title="Version with its model files (zip)">Zip</a>
        )}
        <button type="button" onClick={() => fileRef.current.click()} disabled={readOnly} aria-label="Import a graph document">Import</button>
        <input ref={fileRef} type="file" accept=".json,application/json" className="sr-only" tabIndex={-1} aria-label="Graph document to import"
          onChange={(e) => { if (e.target.files[0]) a.importDoc(e.target.files[0]); e.target.value = ""; }} />
        <button type="button" onClick={a.shortcuts} aria-label="Keyboard shortcuts (?)" title="Shortcuts (?)">?</button>
        <button type="button" className="primary" onClick={() => a.save()} disabled={readOnly} aria-label="Save a new version (Ctrl+S)">Save</button>
      </div>
      <RunBar datasets={runDatasets} dataset={r.dataset} setDataset={r.setDataset} runs={r.runs} runId={r.runId} pickRun={r.pickRun}
        onRun={a.run} running={r.running} progress={r.runData ? progressOf(r.runData, nodeMap(r.runData)) : 0}
        canRun={!!chain} runStatus={r.runStatus} run={r.run} onContinue={r.continueRun} />
    </div>
  );
}
