import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getBezierPath } from "@xyflow/react";
import { decorations, useEdgeProblems } from "./store.js";
import { FIXABLE, edgeText } from "./validation/problems.js";

function CheckedEdge({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, markerEnd }) {
  const problems = useEdgeProblems(id);
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
  const bad = problems.length > 0;
  const fixable = problems.some((p) => FIXABLE.has(p.code));
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        className={bad ? "edge-bad" : ""}
        style={{ stroke: bad ? "var(--bad)" : selected ? "var(--brand)" : undefined, strokeWidth: bad || selected ? 2.5 : 1.5 }}
      />
      {bad && (
        <EdgeLabelRenderer>
          <div
            className="edge-problem nodrag nopan"
            data-edge={id}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            <span className="edge-problem-text" title={problems.map((p) => p.message).join("\n")}>
              ⚠ {problems.map(edgeText).join("; ")}
            </span>
            {fixable && (
              <button
                type="button"
                className="edge-fix"
                aria-label={`Fix the columns from ${source} to ${target}`}
                onClick={() => decorations.get().actions.fixEdge(source, target)}
              >
                Fix…
              </button>
            )}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export default memo(CheckedEdge);
