// A small external store for what decorates nodes and edges (problems, schemas,
// run statuses), so that one validation re-renders only the nodes it changes.
import { useSyncExternalStore } from "react";

export function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...(typeof patch === "function" ? patch(state) : patch) };
      listeners.forEach((l) => l());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export const decorations = createStore({
  problemsByNode: {},
  problemsByEdge: {},
  schemas: {},
  nodeStatus: {},
  palette: { kinds: [], models: [] },
  connectingFrom: null,
  fixEdge: null,
  readOnly: false,
});

const EMPTY = [];

export function useDecoration(selector) {
  return useSyncExternalStore(decorations.subscribe, () => selector(decorations.get()));
}

export function useNodeProblems(id) {
  return useDecoration((s) => s.problemsByNode[id] || EMPTY);
}

export function useEdgeProblems(id) {
  return useDecoration((s) => s.problemsByEdge[id] || EMPTY);
}
