// The run overlay: data sets, runs of the chain, following a run's node statuses.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { listOf } from "../api.js";
import { toDocument } from "../doc.js";
import { decorations } from "../store.js";
import { TERMINAL, chainRuns, currentRun, datasetValue, firstDataset, mergeRunNodes, nextPollDelay, nodeMap, statusWaitUrl } from "./runs.js";

export function useRuns({ api, urls, chain, nodesRef, edgesRef, selectedId, say }) {
  const [datasets, setDatasets] = useState([]);
  const [dataset, setDataset] = useState("");
  const [runs, setRuns] = useState([]);
  const [runId, setRunId] = useState(null);
  const [runData, setRunData] = useState(null);
  const [runDetail, setRunDetail] = useState(null);
  const pollRef = useRef(null);
  // Which follow is current: a status answer for an earlier one is dropped.
  const followingRef = useRef(0);
  const pickRunRef = useRef(null);

  const loadRuns = useCallback(
    (showLatest = false) => {
      if (!chain) return;
      api.get(`${urls.runs}?chain=${encodeURIComponent(chain)}`).then((data) => {
        const list = chainRuns(listOf(data, "runs"), chain);
        setRuns(list);
        // On open the latest run is shown, so its outputs are a click away.
        if (showLatest && list.length) pickRunRef.current(String(list[0].id));
      }).catch(() => {});
    },
    [api, urls, chain],
  );
  useEffect(() => {
    api.get(urls.datasets).then((data) => {
      const list = listOf(data, "datasets");
      setDatasets(list);
      const first = firstDataset(list, toDocument(nodesRef.current, edgesRef.current));
      if (first) setDataset((current) => current || String(first.id));
    }).catch(() => {});
    loadRuns(true);
    // Once, on open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const follow = useCallback(
    (id) => {
      clearTimeout(pollRef.current);
      setRunDetail(null);
      const following = ++followingRef.current;
      const tick = async () => {
        const asked = performance.now();
        try {
          const data = await api.get(statusWaitUrl(urls.status(id)));
          if (following !== followingRef.current) return;
          setRunData(data);
          decorations.set({ nodeStatus: nodeMap(data) });
          if (TERMINAL.has(data.status)) {
            loadRuns();
            api.get(urls.run(id)).then((detail) => {
              if (following === followingRef.current) setRunDetail(detail);
            }).catch(() => {});
            return;
          }
        } catch (err) {
          if (following === followingRef.current) say(`Run #${id}: ${err.message}`, "error");
          return;
        }
        pollRef.current = setTimeout(tick, nextPollDelay(performance.now() - asked));
      };
      tick();
    },
    [api, urls, loadRuns, say],
  );
  useEffect(() => () => {
    followingRef.current += 1;
    clearTimeout(pollRef.current);
  }, []);
  const pickRun = useCallback(
    (id) => {
      setRunId(id);
      if (id) return follow(id);
      followingRef.current += 1;
      clearTimeout(pollRef.current);
      setRunData(null);
      setRunDetail(null);
      decorations.set({ nodeStatus: {} });
      return undefined;
    },
    [follow],
  );
  pickRunRef.current = pickRun;
  const show = useCallback(
    (run) => {
      setRunId(String(run.id));
      decorations.set({ nodeStatus: {} });
      follow(run.id);
      loadRuns();
    },
    [follow, loadRuns],
  );
  // The whole chain, or with `until` only that node and the nodes it needs.
  const startRun = useCallback(
    async (version, until = "") => {
      try {
        const body = { chain, version, dataset: datasetValue(dataset) };
        if (until) body.until = until;
        const run = await api.post(urls.runsCreate, body);
        say(until ? `Run #${run.id} started, up to ${until}.` : `Run #${run.id} started.`);
        show(run);
      } catch (err) {
        say(`The run did not start: ${err.message}`, "error");
      }
    },
    [api, urls, chain, dataset, show, say],
  );
  // The rest of a run made up to a node, on its stored outputs.
  const continueRun = useCallback(
    async (id) => {
      try {
        const run = await api.post(urls.continue(id));
        say(`Run #${run.id} continues run #${id}.`);
        show(run);
      } catch (err) {
        say(`Run #${id} was not continued: ${err.message}`, "error");
      }
    },
    [api, urls, show, say],
  );
  const runNodes = useMemo(() => mergeRunNodes(runData, runDetail), [runData, runDetail]);
  const runStatus = runData ? runData.status : null;
  const doneCount = runData ? runData.done : null;
  useEffect(() => {
    // Node outputs (preview, timing, model) come with the run's detail.
    if (!runId || !selectedId) return undefined;
    let current = true; // an answer for a run no longer shown is dropped
    api.get(urls.run(runId)).then((detail) => {
      if (current) setRunDetail(detail);
    }).catch(() => {});
    return () => { current = false; };
  }, [runId, selectedId, doneCount, api, urls]);

  return {
    datasets, dataset, setDataset, runs, runId, runData, runDetail, runNodes, runStatus,
    running: runStatus !== null && !TERMINAL.has(runStatus), pickRun, startRun, continueRun,
    run: currentRun(runs, runId, runDetail, runData && String(runData.id) === String(runId) ? runData.status : null),
  };
}
