import { memo } from "react";
import { Handle, Position } from "@xyflow/react";
import { columnsOf } from "./doc.js";
import { useDecoration, useNodeProblems } from "./store.js";

export function versionLabel(version) {
  if (version === undefined || version === null || version === "") return "@latest";
  return typeof version === "number" || /^\d+$/.test(String(version)) ? `v${version}` : String(version);
}

function summary(kind, params) {
  switch (kind) {
    case "model":
      return `${params.model || "(no model)"} ${versionLabel(params.version)}${
        params.method && params.method !== "predict" ? ` · ${params.method}` : ""
      }`;
    case "chain":
      return `${params.chain || "(no chain)"} ${versionLabel(params.version ?? "@live")}`;
    case "input":
      return `${(params.schema || []).length} columns`;
    case "transform":
      return (params.ops || []).map((o) => o.op).join(", ") || "no operations";
    case "combine":
      return params.method || "mean";
    case "output":
      return params.columns ? `${params.columns.length} columns` : "all columns";
    default:
      return "";
  }
}

function StepNode({ id, data, selected }) {
  const { kind, params } = data;
  const problems = useNodeProblems(id);
  const schema = useDecoration((s) => s.schemas[id]);
  const run = useDecoration((s) => s.nodeStatus[id]);
  const target = useDecoration((s) => (s.connectTargets ? s.connectTargets.has(id) : null));
  const errors = problems.filter((p) => p.severity !== "warning");
  const columns = columnsOf(schema);
  const classes = ["step", `kind-${kind}`];
  if (selected) classes.push("selected");
  if (errors.length) classes.push("has-problems");
  else if (problems.length) classes.push("has-warnings");
  if (run) classes.push(`status-${run.status}`);
  if (target === true) classes.push("can-connect");
  if (target === false) classes.push("cannot-connect");
  const status = run ? run.status : null;
  const shown = { succeeded: "done", pending: "queued" }[status] || status;
  return (
    <div className={classes.join(" ")} data-node-id={id} data-status={status || ""} data-problems={problems.length}>
      {kind !== "input" && (
        <Handle type="target" position={Position.Left} aria-label={`input of ${id}`} />
      )}
      <div className="step-head">
        <span className="step-name">{id}</span>
        <span className="step-kind">{kind}</span>
      </div>
      <div className="step-body" title={summary(kind, params)}>
        {summary(kind, params)}
      </div>
      {(status || problems.length > 0) && (
        <div className="step-foot">
          {status && <span className={`badge ${status}`}>{shown}</span>}
          {problems.length > 0 && (
            <span className={`step-problems ${errors.length ? "" : "warn"}`} title={problems.map((p) => p.message).join("\n")}>
              {errors.length ? "⚠" : "ⓘ"} {problems.length} {problems.length === 1 ? "problem" : "problems"}
            </span>
          )}
        </div>
      )}
      {run && run.status === "running" && <div className="step-progress" aria-hidden="true" />}
      <div className="step-columns" role="tooltip">
        {columns ? (
          columns.length ? (
            <>
              <strong>Output columns</strong>
              <ul>
                {columns.slice(0, 30).map((c) => (
                  <li key={c.name}>
                    <span>{c.name}</span> <em>{c.dtype}</em>
                  </li>
                ))}
                {columns.length > 30 && <li>… {columns.length - 30} more</li>}
              </ul>
            </>
          ) : (
            <span>No output columns</span>
          )
        ) : (
          <span>Output columns unknown until the problems upstream are fixed</span>
        )}
      </div>
      {kind !== "output" && (
        <Handle type="source" position={Position.Right} aria-label={`output of ${id}`} />
      )}
    </div>
  );
}

export default memo(StepNode);
