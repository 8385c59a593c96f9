// What the palette (GET /api/palette) says about models and step kinds.
import { columnsOf } from "./doc.js";

export function findModel(palette, name) {
  return (palette.models || []).find((m) => m.name === name);
}

function pickVersion(model, v) {
  const versions = model.versions || [];
  if (typeof v === "number" || /^\d+$/.test(String(v))) return versions.find((x) => x.number === Number(v));
  const alias = String(v).slice(1);
  const aliases = model.aliases || {};
  const number = Array.isArray(aliases) ? (aliases.find((a) => a.name === alias) || {}).version : aliases[alias];
  let version = null;
  if (alias === "latest" || number === undefined) version = versions.reduce((a, b) => (!a || b.number > a.number ? b : a), null);
  if (number !== undefined) version = versions.find((x) => x.number === Number(number)) || version;
  return version;
}

// The features a model version takes, when the palette says.
export function modelFeatures(palette, params) {
  const model = findModel(palette, params.model);
  if (!model) return null;
  const version = pickVersion(model, params.version ?? "@latest");
  const signature = (version && version.signature) || model.signature;
  const inputs = signature && (signature.inputs || signature.features);
  return inputs ? columnsOf(inputs).map((c) => c.name) : null;
}

function defaultMethod(palette, name) {
  const model = findModel(palette, name);
  const methods = Object.keys((model && model.signature && model.signature.outputs) || {});
  return methods.length && !methods.includes("predict") ? methods[0] : "predict";
}

export function findChain(palette, name) {
  return (palette.chains || []).find((c) => c.name === name);
}

// The exact saved version a chain node names now (a number, @live, @latest), or null.
export function chainVersion(palette, params) {
  const chain = findChain(palette, params.chain);
  if (!chain) return null;
  const v = params.version ?? "@live";
  if (v === "@live") return chain.live ?? null;
  if (v === "@latest") return chain.latest ?? null;
  return (chain.versions || []).includes(Number(v)) ? Number(v) : null;
}

export function defaultParams(spec, palette) {
  switch (spec.kind) {
    case "input":
      return { schema: [["x", "float"]] };
    case "model":
      return { model: spec.model || "", version: spec.version || "@latest", method: defaultMethod(palette, spec.model) };
    case "transform":
      return { ops: [] };
    case "combine":
      return { method: "mean" };
    case "chain": {
      const version = spec.version || "@live";
      const params = { chain: spec.chain || "", version };
      // Remembered so the editor can warn when @live moves after drawing.
      const now = chainVersion(palette, params);
      if (version === "@live" && now) params.drawn = now;
      return params;
    }
    case "optimize":
      return {
        predictor: { model: "", version: "@latest" },
        decision: "price",
        candidates: { kind: "multipliers", lo: 0.5, hi: 1.5, steps: 21 },
        objective: "candidate * prediction",
        goal: "maximize",
        curve: true,
      };
    default:
      return {};
  }
}
