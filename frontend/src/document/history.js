// Undo/redo history of graph documents: snapshots before each change, with
// repeated changes of one tag (typing in a field) merged into one step.
export const HISTORY_LIMIT = 300;
export const MERGE_MS = 1200;

export function createHistory({ limit = HISTORY_LIMIT, mergeMs = MERGE_MS } = {}) {
  const h = { past: [], future: [], tag: null, at: 0 };
  return {
    // Remember `before` (the document before a change). Returns false when merged.
    record(before, tag = null, now = Date.now()) {
      if (tag && h.tag === tag && now - h.at < mergeMs) {
        h.at = now;
        return false;
      }
      h.past.push(before);
      if (h.past.length > limit) h.past.shift();
      h.future = [];
      h.tag = tag || null;
      h.at = now;
      return true;
    },
    // The document to show after undo, given the one shown now; null if none.
    undo(current) {
      if (!h.past.length) return null;
      h.future.push(current);
      h.tag = null;
      return h.past.pop();
    },
    redo(current) {
      if (!h.future.length) return null;
      h.past.push(current);
      h.tag = null;
      return h.future.pop();
    },
    sizes: () => [h.past.length, h.future.length],
  };
}
