// The save dialog: an optional message (and a name for a new chain).
import { useState } from "react";
import { Modal } from "../panels.jsx";

export default function SaveDialog({ chain, problems, onSave, onClose, thenRun }) {
  const [message, setMessage] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSave({ message, name, title: name });
    } catch (err) {
      const extra = err.extra && err.extra.problems ? err.extra.problems.map((p) => p.message) : [];
      setError([err.message, ...extra]);
      setBusy(false);
    }
  };
  return (
    <Modal title="Save a new version" onClose={onClose}>
      <form onSubmit={submit}>
        {!chain && (
          <>
            <label htmlFor="save-name">Chain name</label>
            <input id="save-name" type="text" value={name} required pattern="[A-Za-z0-9_\-]{1,64}" onChange={(e) => setName(e.target.value)} />
          </>
        )}
        <label htmlFor="save-message">Message <span className="muted">(optional)</span></label>
        <input id="save-message" type="text" value={message} onChange={(e) => setMessage(e.target.value)} placeholder="What changed?" />
        {thenRun && (
          <p className="help" data-testid="save-then-run">
            {chain && "The chain has unsaved changes. "}A run runs a saved version: save, and then it runs
            {thenRun.until ? <> up to <code>{thenRun.until}</code></> : " the whole chain"}.
          </p>
        )}
        {problems > 0 && <p className="help">The chain has {problems} problem{problems === 1 ? "" : "s"}; the server refuses to save an invalid chain, your draft keeps it meanwhile.</p>}
        {error && (
          <ul className="errorlist" role="alert">{error.map((m, i) => <li key={i}>{m}</li>)}</ul>
        )}
        <div className="modal-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>{busy ? "Saving…" : "Save version"}</button>
        </div>
      </form>
    </Modal>
  );
}
