// Validation against the server, 100 ms after the last change; the newest answer wins.
import { useCallback, useEffect, useRef, useState } from "react";
import { toDocument } from "../doc.js";
import { decorations } from "../store.js";
import { createSequence, groupProblems } from "./problems.js";

export const VALIDATE_DELAY = 100;

export function useValidation({ api, urls, chain, target, graphOnly, nodesRef, edgesRef, stats, say }) {
  const [problems, setProblems] = useState([]);
  const [validating, setValidating] = useState(false);
  const seq = useRef(null);
  seq.current ||= createSequence();
  // The graph (nodes and edges) the shown problems belong to.
  const validated = useRef(null);
  const apply = useCallback((list, schemas) => {
    const { byNode, byEdge } = groupProblems(list);
    decorations.set({ problemsByNode: byNode, problemsByEdge: byEdge, schemas: schemas || {} });
    setProblems(list);
  }, []);
  useEffect(() => {
    const mine = seq.current.next();
    const timer = setTimeout(async () => {
      setValidating(true);
      const t0 = performance.now();
      try {
        const res = await api.post(urls.validate, { document: toDocument(nodesRef.current, edgesRef.current), ...(chain ? { chain } : {}), ...(target ? { target } : {}) });
        if (!seq.current.isLatest(mine)) return;
        apply(res.problems || [], res.schemas || {});
        validated.current = graphOnly;
      } catch (err) {
        if (!seq.current.isLatest(mine)) return;
        if (err.extra && Array.isArray(err.extra.problems)) apply(err.extra.problems, {});
        else say(`Validation failed: ${err.message}`, "error");
      } finally {
        if (seq.current.isLatest(mine)) {
          setValidating(false);
          stats.current.validations += 1;
          stats.current.validateMs = performance.now() - t0;
        }
      }
    }, VALIDATE_DELAY);
    return () => clearTimeout(timer);
  }, [graphOnly, target, api, urls, apply, say, nodesRef, edgesRef, stats]);
  return { problems, validating, validated };
}
