// The inspector's fields for an optimize node: its predictor and its objective.
import { ModelPicker, VersionPicker, useId } from "./InspectorFields.jsx";
import { chainVersion } from "./palette.js";
import { chainVersionOptions, predictorOf } from "./predictor.js";
import { objectiveProblems } from "./validation/problems.js";

function ChainPredictor({ palette, value, onChange }) {
  const chains = palette.chains || [];
  const known = chains.some((c) => c.name === value.chain);
  const version = value.version ?? "@live";
  const runs = chainVersion(palette, value);
  return (
    <>
      <div className="field">
        <label htmlFor="insp-predictor-chain">Saved chain</label>
        <select id="insp-predictor-chain" value={value.chain || ""} onChange={(e) => onChange({ ...value, chain: e.target.value })}>
          {!known && <option value={value.chain || ""}>{value.chain || "(choose a chain)"}</option>}
          {chains.map((c) => <option key={c.name} value={c.name}>{c.title && c.title !== c.name ? `${c.name} — ${c.title}` : c.name}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="insp-predictor-chain-version">Chain version</label>
        <select id="insp-predictor-chain-version" value={String(version)}
          onChange={(e) => onChange({ ...value, version: e.target.value.startsWith("@") ? e.target.value : Number(e.target.value) })}>
          {chainVersionOptions(palette, value.chain, version).map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
        <p className="help" data-testid="predictor-chain">{runs ? `Predicts with ${value.chain} v${runs}.` : "No such saved chain or version."}</p>
      </div>
    </>
  );
}

// An optimize node's predictor: a registered model and its version, or a
// saved chain version ({chain, version}).
export function PredictorPicker({ palette, value, onChange }) {
  const current = value || {};
  const source = "chain" in current ? "chain" : "model";
  return (
    <fieldset className="field">
      <legend>Predictor</legend>
      <div className="field">
        <label htmlFor="insp-predictor-source">Predict with</label>
        <select id="insp-predictor-source" value={source} onChange={(e) => onChange(predictorOf(e.target.value, palette))}>
          <option value="model">a model</option>
          <option value="chain">a saved chain</option>
        </select>
      </div>
      {source === "chain" ? <ChainPredictor palette={palette} value={current} onChange={onChange} /> : (
        <>
          <ModelPicker palette={palette} value={current.model} onChange={(model) => onChange({ ...current, model })} />
          <VersionPicker palette={palette} modelName={current.model} value={current.version}
            onChange={(version) => onChange({ ...current, version })} />
        </>
      )}
    </fieldset>
  );
}

export function ObjectiveField({ value, onChange, problems }) {
  const id = useId("f");
  const mine = objectiveProblems(problems);
  return (
    <div className="field">
      <label htmlFor={id}>Objective</label>
      <input id={id} type="text" className="mono" value={value ?? ""} aria-invalid={mine.length > 0}
        aria-describedby={`${id}-help`} onChange={(e) => onChange(e.target.value)} />
      <p id={`${id}-help`} className="help">Over the row's columns, <code>candidate</code> (or the decision column's name) and <code>prediction</code>; + - * / **, min max abs log exp sqrt.</p>
      {mine.map((p, i) => <p key={i} className="error" role="alert" data-objective-problem>{p.message}</p>)}
    </div>
  );
}

