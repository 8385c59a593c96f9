// The Fix… dialog: fit an edge's columns to a model (mapping, rename or cast transform).
import { useState } from "react";
import { MappingEditor } from "../InspectorFields.jsx";
import { Modal } from "../panels.jsx";

export default function FixDialog({ source, target, features, columns, mapping: initial, casts, onApply, onInsert, onClose }) {
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
