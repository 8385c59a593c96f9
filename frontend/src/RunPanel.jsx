// Runs from the editor: pick a data set, start, follow node statuses, open outputs.
import { useEffect, useMemo, useRef } from "react";
import { continuation, runLabel } from "./runs/runs.js";

function previewOf(node) {
  const p = node && (node.preview || node.output_preview);
  if (!p) return null;
  // {columns, rows} | {columns, data} | [{col: v}] | {col: [v]}
  if (Array.isArray(p)) {
    const columns = p.length ? Object.keys(p[0]) : [];
    return { columns, rows: p.map((r) => columns.map((c) => r[c])) };
  }
  if (p.columns && (p.rows || p.data)) {
    const rows = p.rows || p.data;
    const columns = p.columns.map((c) => (Array.isArray(c) ? c[0] : typeof c === "object" ? c.name : c));
    return { columns, rows: rows.map((r) => (Array.isArray(r) ? r : columns.map((c) => r[c]))), index: p.index };
  }
  const columns = Object.keys(p);
  const n = columns.length ? (p[columns[0]] || []).length : 0;
  return { columns, rows: Array.from({ length: n }, (_, i) => columns.map((c) => p[c][i])) };
}

function Chart({ name, values }) {
  const numeric = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  const W = 140;
  const H = 44;
  let bars = [];
  let caption = "";
  if (numeric.length && numeric.length === values.filter((v) => v !== null && v !== undefined).length) {
    const lo = Math.min(...numeric);
    const hi = Math.max(...numeric);
    const bins = new Array(10).fill(0);
    for (const v of numeric) bins[hi === lo ? 0 : Math.min(9, Math.floor(((v - lo) / (hi - lo)) * 10))]++;
    bars = bins;
    caption = `${fmt(lo)} to ${fmt(hi)}`;
  } else {
    const counts = new Map();
    for (const v of values) counts.set(String(v), (counts.get(String(v)) || 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    bars = top.map(([, c]) => c);
    caption = top.map(([k]) => k).join(", ");
  }
  const max = Math.max(1, ...bars);
  const w = W / Math.max(1, bars.length);
  return (
    <figure className="col-chart">
      <svg width={W} height={H} role="img" aria-label={`Distribution of ${name}`}>
        {bars.map((b, i) => (
          <rect key={i} x={i * w + 1} y={H - (b / max) * H} width={Math.max(1, w - 2)} height={(b / max) * H} />
        ))}
      </svg>
      <figcaption><code>{name}</code><br /><span className="muted" title={caption}>{caption}</span></figcaption>
    </figure>
  );
}

function fmt(v) {
  if (typeof v !== "number") return String(v);
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(4);
}

export function NodeOutput({ nodeId, node, run, csvUrl }) {
  const preview = useMemo(() => previewOf(node), [node]);
  if (!node) return <p className="muted small">This node has no result in run {run ? `#${run.id}` : ""}.</p>;
  const model = node.model || node.model_version || node.resolved;
  const seconds = node.seconds ?? node.duration ?? node.elapsed;
  return (
    <div className="node-output" data-testid="node-output" aria-label={`Output of ${nodeId}`}>
      <dl className="props">
        <dt>Status</dt><dd><span className={`badge ${node.status}`}>{node.status}</span>{node.reused_from ? <span className="muted small"> from run #{node.reused_from}</span> : null}</dd>
        {seconds !== undefined && seconds !== null && (<><dt>Time</dt><dd>{Number(seconds) < 1 ? `${(Number(seconds) * 1000).toFixed(1)} ms` : `${Number(seconds).toFixed(2)} s`}</dd></>)}
        {model && (<><dt>Model</dt><dd>{typeof model === "string" ? model : `${model.name} v${model.version ?? model.number}`}</dd></>)}
        {(node.rows ?? node.row_count) !== undefined && (<><dt>Rows</dt><dd>{node.rows ?? node.row_count}</dd></>)}
        {node.error && (<><dt>Error</dt><dd className="error">{node.error}</dd></>)}
      </dl>
      {preview && preview.columns.length > 0 && (
        <>
          <div className="charts">
            {preview.columns.slice(0, 8).map((c, i) => <Chart key={c} name={c} values={preview.rows.map((r) => r[i])} />)}
          </div>
          <div className="table-wrap preview">
            <table className="data">
              <thead><tr>{preview.index && <th>#</th>}{preview.columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
              <tbody>
                {preview.rows.slice(0, 20).map((r, i) => (
                  <tr key={i}>{preview.index && <td>{preview.index[i]}</td>}{r.map((v, j) => <td key={j}>{v === null ? "—" : typeof v === "number" ? fmt(v) : String(v)}</td>)}</tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {csvUrl && (node.stored || node.preview) && <a href={csvUrl}>Download the output as CSV</a>}
    </div>
  );
}

// A run that stopped at a node: where, and Continue (or the run that continued
// it); a run that continues another: a link back to it.
function RunLinks({ run, runs, pickRun, onContinue, running }) {
  if (!run || (!run.until && !run.continues)) return null;
  const { canContinue, continuedBy } = continuation(run, runs);
  return (
    <span className="run-links" data-testid="run-links">
      {run.until && <span className="muted small" data-testid="run-until">up to <code>{run.until}</code></span>}
      {continuedBy ? (
        <button type="button" className="link small" onClick={() => pickRun(String(continuedBy))}>continued by #{continuedBy}</button>
      ) : canContinue && (
        <button type="button" onClick={() => onContinue(run.id)} disabled={running}
          aria-label={`Continue run #${run.id}: the remaining nodes on its stored outputs`} title="Run the remaining nodes on this run's stored outputs">
          Continue
        </button>
      )}
      {run.continues && (
        <button type="button" className="link small" data-testid="run-continues" onClick={() => pickRun(String(run.continues))}>continues #{run.continues}</button>
      )}
    </span>
  );
}

export function RunBar({ datasets, dataset, setDataset, runs, runId, pickRun, onRun, running, progress, canRun, runStatus, run, onContinue }) {
  return (
    <div className="run-bar" role="group" aria-label="Run">
      <label htmlFor="run-dataset" className="sr-only">Data set</label>
      <select id="run-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)}>
        <option value="">{datasets.length ? "Choose a data set…" : "No data set yet"}</option>
        {datasets.map((d) => <option key={d.id} value={d.id}>{d.name || d.title || `data set ${d.id}`}{d.rows !== undefined ? ` (${d.rows} rows)` : d.row_count !== undefined ? ` (${d.row_count} rows)` : ""}{d.lacks && d.lacks.length ? `, lacks ${d.lacks.join(", ")}` : ""}</option>)}
      </select>
      <button type="button" className="primary" onClick={onRun} disabled={!canRun || !dataset || running} aria-label="Run the chain on the data set">
        {running ? "Running…" : "Run"}
      </button>
      <div className="progress run-progress" role="progressbar" aria-label="Run progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)}>
        <span style={{ width: `${Math.round(progress * 100)}%` }} />
      </div>
      {runStatus && <span className={`badge ${runStatus}`} data-testid="run-status">{runStatus}</span>}
      <RunLinks run={run} runs={runs} pickRun={pickRun} onContinue={onContinue} running={running} />
      <label htmlFor="run-history" className="sr-only">Run history</label>
      <select id="run-history" value={runId ?? ""} onChange={(e) => pickRun(e.target.value ? e.target.value : null)}>
        <option value="">{runs.length ? "Runs…" : "No run yet"}</option>
        {runs.map((r) => (
          <option key={r.id} value={r.id}>{runLabel(r)}</option>
        ))}
      </select>
    </div>
  );
}

// The selected node's run actions: run up to it, try variants of it.
export function NodeRunActions({ node, canRun, running, onRunUntil, onVariants }) {
  if (!node || node.data.kind === "output") return null;
  return (
    <div className="node-run-actions" role="group" aria-label={`Runs of ${node.id}`}>
      <button type="button" onClick={() => onRunUntil(node.id)} disabled={!canRun || running}
        aria-label={`Run up to ${node.id} (Ctrl+Shift+Enter)`} title="Run only this node and the nodes it needs (Ctrl+Shift+Enter); continue later from the run bar">
        Run up to here
      </button>
      {node.data.kind !== "input" && (
        <button type="button" onClick={() => onVariants(node.id)} disabled={!canRun}
          aria-label={`Try variants of ${node.id}`} title="Other models, versions or params in this node's place, on a run's stored outputs">
          Try variants…
        </button>
      )}
    </div>
  );
}

// A node's context menu (right-click): the same run actions, where the node is.
export function NodeMenu({ menu, canRun, running, onRunUntil, onVariants, onClose }) {
  const ref = useRef(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const first = ref.current && ref.current.querySelector("button:not(:disabled)");
    if (first) first.focus();
    const away = (e) => { if (ref.current && !ref.current.contains(e.target)) close.current(); };
    const key = (e) => { if (e.key === "Escape") close.current(); };
    window.addEventListener("mousedown", away);
    window.addEventListener("keydown", key);
    return () => { window.removeEventListener("mousedown", away); window.removeEventListener("keydown", key); };
  }, [menu]);
  const act = (f) => () => { onClose(); f(menu.id); };
  const output = menu.kind === "output";
  return (
    <div className="node-menu" role="menu" aria-label={`Actions of ${menu.id}`} ref={ref} style={{ left: menu.x, top: menu.y }}>
      <button type="button" role="menuitem" disabled={!canRun || running} onClick={act(onRunUntil)}>{output ? "Run the chain" : "Run up to here"}</button>
      {!output && menu.kind !== "input" && (
        <button type="button" role="menuitem" disabled={!canRun} onClick={act(onVariants)}>Try variants…</button>
      )}
    </div>
  );
}
