// "Try variants" of a node: pick the run whose stored outputs the variants start
// from, then open that run page's variants form with the node chosen.
import { useState } from "react";
import { Modal } from "../panels.jsx";
import { variantsFormUrl } from "../runs/runs.js";

function datasetName(datasets, id) {
  const found = (datasets || []).find((d) => String(d.id) === String(id));
  return found ? found.name || `data set ${found.id}` : id ? `data set ${id}` : "posted rows";
}

export default function VariantsDialog({ nodeId, version, dirty, bases, datasets, running, onRunUntil, runPage, onClose }) {
  const [picked, setPicked] = useState("");
  const base = bases.find((r) => String(r.id) === picked) || bases[0];
  return (
    <Modal title={`Try variants of ${nodeId}`} onClose={onClose}>
      {!version ? (
        <p className="help">Save the chain first: an experiment starts from a run of a saved version.</p>
      ) : (
        <>
          <p className="help">
            Variants of <code>{nodeId}</code> (other models, versions or params) run on the stored outputs of a finished run of
            version {version}: only <code>{nodeId}</code> and what follows it are computed.
            {dirty ? " Your unsaved changes are not part of that version." : ""}
          </p>
          {base ? (
            <>
              <label htmlFor="variants-base">Base run</label>
              <select id="variants-base" value={String(base.id)} onChange={(e) => setPicked(e.target.value)}>
                {bases.map((r) => (
                  <option key={r.id} value={r.id}>
                    #{r.id} on {datasetName(datasets, r.dataset)}{r.until ? ` · up to ${r.until}` : ""}
                  </option>
                ))}
              </select>
              <div className="modal-actions">
                <button type="button" onClick={onClose}>Cancel</button>
                <a className="button primary" href={variantsFormUrl(base.url || runPage(base.id), nodeId)}>Open the variants form</a>
              </div>
            </>
          ) : (
            <>
              <p className="help" data-testid="no-base-run">
                No finished run of version {version} has computed <code>{nodeId}</code> yet. Run up to it on the chosen data set
                first; it is offered here once it has succeeded.
              </p>
              <div className="modal-actions">
                <button type="button" onClick={onClose}>Cancel</button>
                <button type="button" className="primary" disabled={running} onClick={() => onRunUntil(nodeId)}>
                  {running ? "Running…" : `Run up to ${nodeId} now`}
                </button>
              </div>
            </>
          )}
        </>
      )}
    </Modal>
  );
}
