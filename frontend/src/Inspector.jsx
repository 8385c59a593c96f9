// The selected node's params as a form built from its kind's JSON schema.
import { useEffect, useMemo, useState } from "react";
import { columnsOf, upstreamColumns } from "./doc.js";
import { Fields, MappingEditor, ModelPicker, RawParams, VersionPicker } from "./InspectorFields.jsx";
import { ObjectiveField, PredictorPicker } from "./OptimizeFields.jsx";
import { chainVersion, modelFeatures } from "./palette.js";
import { useDecoration } from "./store.js";

// A chain node's saved chain: the version it runs now, and a read-only view of it.
function SavedChain({ palette, params }) {
  const number = chainVersion(palette, params);
  if (!number) return <p className="help" data-testid="saved-chain">No such saved chain or version.</p>;
  const moved = params.version === "@live" && params.drawn && params.drawn !== number;
  return (
    <p className="help" data-testid="saved-chain">
      Runs <strong>{params.chain} v{number}</strong>
      {moved ? ` (@live moved from v${params.drawn} since this node was drawn)` : ""}.{" "}
      <a href={`/chains/${encodeURIComponent(params.chain)}/?version=${number}`} target="_blank" rel="noopener noreferrer">
        Open v{number} read-only
      </a>
    </p>
  );
}

export default function Inspector({ node, nodes, edges, palette, readOnly, onParams, onRename, onConnect, onDisconnect, children }) {
  const schemas = useDecoration((s) => s.schemas);
  const problems = useDecoration((s) => (node ? s.problemsByNode[node.id] : null)) || [];
  const [name, setName] = useState(node ? node.id : "");
  const [source, setSource] = useState("");
  useEffect(() => setName(node ? node.id : ""), [node && node.id]);
  const kindInfo = useMemo(() => (palette.kinds || []).find((k) => k.kind === (node && node.data.kind)), [palette, node && node.data.kind]);
  if (!node) {
    return (
      <section className="inspector" aria-label="Inspector">
        <h2>Inspector</h2>
        <p className="muted">Select a node to edit it. Add nodes from the palette by dragging them onto the canvas, or with Enter.</p>
      </section>
    );
  }
  const { kind, params } = node.data;
  const root = (kindInfo && (kindInfo.params || kindInfo.params_schema)) || { properties: {} };
  const features = kind === "model" ? modelFeatures(palette, params) || [] : [];
  const upstream = upstreamColumns(node.id, edges, schemas);
  const special = {
    model: ({ value, onChange }) => <ModelPicker palette={palette} value={value} onChange={onChange} />,
    version: ({ value, onChange }) => <VersionPicker palette={palette} modelName={params.model} value={value} onChange={onChange} />,
  };
  if (kind === "optimize") {
    special.predictor = ({ value, onChange }) => <PredictorPicker palette={palette} value={value} onChange={onChange} />;
    special.objective = ({ value, onChange }) => <ObjectiveField value={value} onChange={onChange} problems={problems} />;
  }
  if (kind === "model") {
    special.columns = ({ value, onChange }) => <MappingEditor features={features} columns={upstream} value={value} onChange={onChange} />;
  }
  const parents = edges.filter((e) => e.target === node.id).map((e) => e.source);
  const candidates = nodes.filter((n) => n.id !== node.id && !parents.includes(n.id) && n.data.kind !== "output");
  const outColumns = columnsOf(schemas[node.id]);
  return (
    <section className="inspector" aria-label="Inspector">
      <h2>{kindInfo ? kindInfo.title || kind : kind} <span className="muted">node</span></h2>
      {kindInfo && kindInfo.description && <p className="help">{kindInfo.description}</p>}
      {kind === "chain" && <SavedChain palette={palette} params={params} />}
      {children}
      <fieldset disabled={readOnly} className="plain">
        <div className="field">
          <label htmlFor="insp-name">Node name</label>
          <input id="insp-name" type="text" value={name} onChange={(e) => setName(e.target.value)}
            onBlur={() => name !== node.id && onRename(node.id, name, setName)}
            onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); if (name !== node.id) onRename(node.id, name, setName); } }} />
        </div>
        {problems.length > 0 && (
          <ul className="problem-list compact" aria-label="Problems of this node">
            {problems.map((p, i) => <li key={i} className={p.severity}>{p.message}</li>)}
          </ul>
        )}
        <Fields schema={root} root={root} value={params} ctx={{ special, palette }}
          onChange={(next, key) => onParams(node.id, next, key)} />
        <RawParams params={params} onChange={(next) => onParams(node.id, next, "raw")} />
        {kind !== "input" && (
          <fieldset className="field">
            <legend>Inputs</legend>
            {parents.length === 0 && <p className="help">No incoming edge.</p>}
            <ul className="plain-list">
              {parents.map((p) => (
                <li key={p}><code>{p}</code> <button type="button" className="icon" aria-label={`Disconnect ${p}`} onClick={() => onDisconnect(p, node.id)}>×</button></li>
              ))}
            </ul>
            <div className="kv-row">
              <select aria-label={`Connect a node into ${node.id}`} value={source} onChange={(e) => setSource(e.target.value)}>
                <option value="">Connect from…</option>
                {candidates.map((n) => <option key={n.id} value={n.id}>{n.id}</option>)}
              </select>
              <button type="button" disabled={!source} onClick={() => { onConnect(source, node.id); setSource(""); }}>Connect</button>
            </div>
          </fieldset>
        )}
      </fieldset>
      {outColumns && (
        <details className="out-cols">
          <summary>Output columns ({outColumns.length})</summary>
          <ul className="plain-list">{outColumns.map((c) => <li key={c.name}><code>{c.name}</code> <em>{c.dtype}</em></li>)}</ul>
        </details>
      )}
    </section>
  );
}
