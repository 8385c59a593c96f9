// Drafts and autosave: localStorage at once, the server a moment later; the newest
// draft is restored on open; leaving with unsaved changes asks first.
import { useCallback, useEffect, useRef, useState } from "react";
import { canonical, toDocument } from "../doc.js";
import { DRAFT_DELAY, draftKey, pickDraft, readLocalDraft, restoredText, serverDraftOf, writeLocalDraft } from "./drafts.js";

export function useDrafts(p) {
  const { api, urls, config, chain, version, readOnly, dirty, docKey, savedKey, nodesRef, edgesRef, stats } = p;
  const restoredOnce = useRef(false);
  // Whether the server may hold a draft of this user's: an edit undone back to the
  // saved version must not come back as a "restored draft" on the next open.
  const serverDraft = useRef(false);
  const [restoredDraft, setRestoredDraft] = useState(false);
  const current = () => toDocument(nodesRef.current, edgesRef.current);
  const putDraft = (d, options) =>
    api.put(urls.draft(chain), { document: d, base_number: version || null }, options);

  useEffect(() => {
    if (readOnly || !restoredOnce.current) return undefined;
    if (!dirty) {
      localStorage.removeItem(draftKey(chain));
      if (!chain || !serverDraft.current) return undefined;
      const timer = setTimeout(() => {
        api.del(urls.draft(chain)).then(() => {
          serverDraft.current = false;
          stats.current.draftKey = null;
        }).catch(() => {});
      }, DRAFT_DELAY);
      return () => clearTimeout(timer);
    }
    const timer = setTimeout(() => {
      const d = current();
      writeLocalDraft(localStorage, chain, d, version);
      if (!chain) return;
      putDraft(d).then(() => {
        serverDraft.current = true;
        stats.current.drafts += 1;
        stats.current.draftKey = canonical(d);
      }).catch(() => {});
    }, DRAFT_DELAY);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [docKey, dirty, chain, version, readOnly, api, urls]);

  useEffect(() => {
    // On open: restore the newest draft (local or server) that differs from the version.
    let cancelled = false;
    async function restore() {
      const local = readLocalDraft(localStorage, config.chain);
      let server = null;
      if (config.chain && !readOnly) {
        server = await api.get(urls.draft(config.chain)).then(serverDraftOf, () => null);
        if (server) serverDraft.current = true;
      }
      if (cancelled) return;
      const pick = !readOnly && pickDraft(local, server, savedKey);
      if (pick) p.onRestore(pick.document, restoredText(pick, p.initialVersion));
      if (pick) setRestoredDraft(true);
      restoredOnce.current = true;
    }
    restore();
    return () => {
      cancelled = true;
    };
    // Runs once, on open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const discardDraft = useCallback(() => {
    localStorage.removeItem(draftKey(chain));
    if (chain) api.del(urls.draft(chain)).catch(() => {});
    serverDraft.current = false;
    setRestoredDraft(false);
  }, [chain, api, urls]);

  // Saving a new version removes the user's draft on the server.
  const saved = useCallback((target, unchanged) => {
    localStorage.removeItem(draftKey(target));
    setRestoredDraft(false);
    if (!unchanged) {
      serverDraft.current = false;
      stats.current.draftKey = null;
    }
  }, [stats]);

  // Leaving with unsaved changes asks first.
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty && !readOnly;
  useEffect(() => {
    const onLeave = (e) => {
      if (!dirtyRef.current) return undefined;
      e.preventDefault();
      e.returnValue = "";
      return "";
    };
    window.addEventListener("beforeunload", onLeave);
    return () => window.removeEventListener("beforeunload", onLeave);
  }, []);
  // The debounced draft may not have been written yet when the tab goes away.
  const leaving = useRef(null);
  leaving.current = () => {
    if (!restoredOnce.current) return;
    if (!dirtyRef.current) {
      if (chain && serverDraft.current) api.del(urls.draft(chain), { keepalive: true }).catch(() => {});
      return;
    }
    const d = current();
    if (stats.current.draftKey === canonical(d)) return;
    writeLocalDraft(localStorage, chain, d, version);
    if (chain) putDraft(d, { keepalive: true }).catch(() => {});
  };
  useEffect(() => {
    const onHide = () => leaving.current();
    window.addEventListener("pagehide", onHide);
    return () => window.removeEventListener("pagehide", onHide);
  }, []);

  return { restoredDraft, discardDraft, saved, dirtyRef };
}
