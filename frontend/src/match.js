// Best-name matching of a model's features to the columns upstream.

function norm(s) {
  return String(s).toLowerCase().replace(/[^a-z0-9]/g, "");
}

function similarity(a, b) {
  // Dice coefficient over character bigrams.
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const grams = new Map();
  for (let i = 0; i < a.length - 1; i++) {
    const g = a.slice(i, i + 2);
    grams.set(g, (grams.get(g) || 0) + 1);
  }
  let hits = 0;
  for (let i = 0; i < b.length - 1; i++) {
    const g = b.slice(i, i + 2);
    const n = grams.get(g) || 0;
    if (n > 0) {
      grams.set(g, n - 1);
      hits++;
    }
  }
  return (2 * hits) / (a.length + b.length - 2);
}

function score(feature, column) {
  if (feature === column) return 10;
  if (feature.toLowerCase() === column.toLowerCase()) return 9;
  const f = norm(feature);
  const c = norm(column);
  if (f === c) return 8;
  // Prefixed names from fan-in ("ridge_prediction") or one-hot ("shape=round").
  if (c.endsWith(f) || f.endsWith(c)) return 6 + similarity(f, c);
  if (c.includes(f) || f.includes(c)) return 4 + similarity(f, c);
  return 3 * similarity(f, c);
}

// {feature: column}: each feature gets its best free column; ties keep column order.
export function bestMapping(features, columns, current = {}) {
  const taken = new Set();
  const mapping = {};
  const pairs = [];
  for (const f of features) {
    if (current[f] && columns.includes(current[f])) {
      mapping[f] = current[f];
      taken.add(current[f]);
      continue;
    }
    columns.forEach((c, i) => pairs.push({ f, c, s: score(f, c), i }));
  }
  pairs.sort((a, b) => b.s - a.s || a.i - b.i);
  for (const { f, c, s } of pairs) {
    if (mapping[f] || taken.has(c) || s < 1) continue;
    mapping[f] = c;
    taken.add(c);
  }
  return mapping;
}
