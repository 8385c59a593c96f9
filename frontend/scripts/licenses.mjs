// Writes static/builder/LICENSES.txt: every bundled (non-dev) package with its licence text.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const out = ["Third-party software bundled in static/builder/editor.js and editor.css.", ""];
const entries = Object.entries(lock.packages)
  .filter(([path, info]) => path.startsWith("node_modules/") && !info.dev)
  .sort(([a], [b]) => a.localeCompare(b));
for (const [path, info] of entries) {
  const name = path.slice("node_modules/".length);
  const file = readdirSync(path).find((f) => /^licen[cs]e/i.test(f));
  out.push("=".repeat(78), `${name} ${info.version} (${info.license || "see text"})`, "=".repeat(78));
  out.push(file && existsSync(join(path, file)) ? readFileSync(join(path, file), "utf8").trim() : "(no licence file shipped)", "");
}
writeFileSync("../static/builder/LICENSES.txt", out.join("\n") + "\n");
