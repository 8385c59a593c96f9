// Saving a new version (creating the chain first when it is new).
import { useCallback, useRef } from "react";
import { canonical, toDocument } from "../doc.js";
import { ID_RE } from "../document/edits.js";
import { draftKey } from "../drafts/drafts.js";

export function useSave({ api, urls, chain, setChain, version, setVersion, setSavedKey, nodesRef, edgesRef, stats, drafts, say }) {
  const runAfterSave = useRef(false);
  const createChain = useCallback(async (name, title) => {
    if (!name || !ID_RE.test(name)) throw new Error("Give the chain a name: letters, digits, '_' or '-'.");
    const created = await api.post(urls.chains, { name, title: title || name });
    const target = created.name || name;
    setChain(target);
    window.history.replaceState(null, "", urls.edit(target));
    localStorage.removeItem(draftKey(null));
    return target;
  }, [api, urls, setChain]);
  const save = useCallback(async ({ message, name, title }) => {
    const d = toDocument(nodesRef.current, edgesRef.current);
    const t0 = performance.now();
    const target = chain || (await createChain(name, title));
    const res = await api.post(urls.versions(target), { document: d, message: message || "" });
    stats.current.saves += 1;
    stats.current.saveMs = performance.now() - t0;
    setSavedKey(canonical(d));
    const unchanged = !!(res && res.unchanged);
    drafts.saved(target, unchanged);
    const n = res.number ?? res.version ?? (unchanged ? version : undefined);
    if (n) setVersion(n);
    if (unchanged) say(`No changes since version ${n}: nothing saved.`);
    else say(`Saved version ${n}.`, "success");
    return res;
  }, [chain, createChain, api, urls, version, setVersion, setSavedKey, nodesRef, edgesRef, stats, drafts, say]);
  return { save, runAfterSave };
}
