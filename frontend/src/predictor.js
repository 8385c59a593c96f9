// An optimize node's predictor: a model or a saved chain version.
import { findChain } from "./palette.js";

// What switching the predictor's source gives: a model at @latest, or a saved
// chain at @live (the first in the palette, when there is one).
export function predictorOf(source, palette) {
  if (source === "chain") {
    const first = (palette.chains || [])[0];
    return { chain: first ? first.name : "", version: "@live" };
  }
  return { model: "", version: "@latest" };
}

// The versions a chain predictor may name: @live, @latest, then each number.
export function chainVersionOptions(palette, name, value) {
  const chain = findChain(palette, name);
  const numbers = chain ? [...(chain.versions || [])].sort((a, b) => b - a) : [];
  const options = ["@live", "@latest", ...numbers.map(String)];
  const current = value === undefined || value === null ? "@live" : String(value);
  return options.includes(current) ? options : [current, ...options];
}
