// Drafts: unsaved work kept in localStorage and on the server, restored on open.
import { canonical } from "../doc.js";

export const DRAFT_DELAY = 800;

export function draftKey(chain) {
  return `catena:draft:${chain || "new"}`;
}

export function readLocalDraft(storage, chain) {
  try {
    return JSON.parse(storage.getItem(draftKey(chain)) || "null");
  } catch (err) {
    return null;
  }
}

export function writeLocalDraft(storage, chain, document, base, now = Date.now()) {
  try {
    storage.setItem(draftKey(chain), JSON.stringify({ document, at: now, base }));
  } catch (err) {
    /* storage full or disabled: the server copy still holds */
  }
}

// The server's answer to GET draft, as {document, at, base}, or null.
export function serverDraftOf(data) {
  const d = data && (data.document || (data.draft && data.draft.document));
  return d ? { document: d, at: Date.parse(data.updated || 0) || 0, base: data.base_number } : null;
}

// The newest draft that differs from the saved version, or null.
export function pickDraft(local, server, savedKey) {
  const pick = [local, server].filter((x) => x && x.document).sort((a, b) => (b.at || 0) - (a.at || 0))[0];
  return pick && canonical(pick.document) !== savedKey ? pick : null;
}

export function restoredText(pick, latest) {
  const older = pick.base && latest && pick.base !== latest;
  return older
    ? `Restored your unsaved draft, started from version ${pick.base} (the latest is ${latest}).`
    : "Restored your unsaved draft.";
}
