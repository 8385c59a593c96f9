// Runs from the editor: pick a data set, start, follow node statuses, open outputs.
import { useMemo } from "react";

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

export function RunBar({ datasets, dataset, setDataset, runs, runId, pickRun, onRun, running, progress, canRun, runStatus }) {
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
      <label htmlFor="run-history" className="sr-only">Run history</label>
      <select id="run-history" value={runId ?? ""} onChange={(e) => pickRun(e.target.value ? e.target.value : null)}>
        <option value="">{runs.length ? "Runs…" : "No run yet"}</option>
        {runs.map((r) => (
          <option key={r.id} value={r.id}>#{r.id} · v{r.version ?? r.version_number ?? r.chain_version ?? "?"} · {r.status}</option>
        ))}
      </select>
    </div>
  );
}
