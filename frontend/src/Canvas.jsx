// The React Flow canvas: nodes, checked edges, zoom controls and the minimap.
import { Background, Controls, MarkerType, MiniMap, ReactFlow } from "@xyflow/react";
import CheckedEdge from "./CheckedEdge.jsx";
import StepNode from "./StepNode.jsx";
import { decorations } from "./store.js";

const nodeTypes = { step: StepNode };
const edgeTypes = { checked: CheckedEdge };
const defaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } };
const A11Y = { "node.a11yDescription.default": "Press Enter or Space to select the node, Delete to remove it, arrow keys to move it." };

function minimapColor(n) {
  const st = decorations.get().nodeStatus[n.id];
  if (st) return { done: "#2f9e44", succeeded: "#2f9e44", reused: "#7048e8", failed: "#e03131", running: "#1c7ed6" }[st.status] || "#adb5bd";
  if (decorations.get().problemsByNode[n.id]) return "#e03131";
  return "#94a3b8";
}

export default function Canvas({ doc: d, edit: e, readOnly, wrapperRef, onNodeMenu, onPaneClick }) {
  return (
    <div className="canvas" ref={wrapperRef} onDrop={e.onDrop} onDragOver={e.onDragOver} aria-label="Canvas" role="application">
      <ReactFlow
        nodes={d.nodes}
        edges={d.edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        defaultEdgeOptions={defaultEdgeOptions}
        onNodesChange={d.onNodesChange}
        onEdgesChange={d.onEdgesChange}
        onConnect={e.onConnect}
        onNodeContextMenu={onNodeMenu}
        onPaneClick={onPaneClick}
        onMoveStart={onPaneClick}
        onConnectStart={e.onConnectStart}
        onConnectEnd={e.onConnectEnd}
        isValidConnection={e.isValidConnection}
        onNodeDragStart={d.onDragStart}
        onNodeDragStop={d.onDragStop}
        onSelectionDragStart={d.onDragStart}
        onSelectionDragStop={d.onDragStop}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control", "Shift"]}
        connectionRadius={30}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        minZoom={0.1}
        onlyRenderVisibleElements={d.nodes.length > 150}
        ariaLabelConfig={A11Y}
      >
        <Background gap={20} />
        <Controls showInteractive={false} aria-label="Zoom controls" />
        <MiniMap pannable zoomable ariaLabel="Mini map" nodeColor={(n) => minimapColor(n)} />
      </ReactFlow>
      {d.nodes.length === 0 && (
        <div className="canvas-empty" aria-hidden="true">
          Drag an <strong>Input</strong>, some models and an <strong>Output</strong> here, then wire them from right to left handles.
        </div>
      )}
    </div>
  );
}
