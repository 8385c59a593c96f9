// A linear model served over HTTP by Node.js alone, for the remote-model tests.
//
//   node model_server.js <model.json>
//
// model.json: {"features": ["a", "b"], "coef": [..], "intercept": x}, fitted in
// Python and exported as coefficients. Listens on 127.0.0.1, port 0 (the OS
// picks one), and prints {"port": N} on its first line of output.
//
// Paths are /<mode>/<protocol path>. Protocol paths:
//   GET  /v2/models/lin            V2 metadata: one [-1, k] FP64 tensor "x"
//   GET  /v2/models/lin-cols       V2 metadata: one [-1] tensor per feature
//   POST /v2/models/<m>/infer      V2 inference; output "y"
//   POST /records                  [{feature: value}] -> [{"y": value}]
// Modes, for the boundary tests:
//   ok, auth (needs "Authorization: Bearer s3cret"), slow (answers after 30 s),
//   drip (one byte every 200 ms), big (a 4 MB answer), redirect (302 to the
//   cloud metadata address), status-<code>, flaky-<key> (503 twice per key,
//   then fine), short (one row too few), text (non-numeric values)
"use strict";

const http = require("http");
const fs = require("fs");

const model = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const k = model.features.length;
const flaky = new Map();
let requests = 0;

function predictRow(row) {
  let y = model.intercept;
  for (let i = 0; i < k; i++) y += model.coef[i] * row[i];
  return y;
}

function metadata(name) {
  const inputs =
    name === "lin"
      ? [{ name: "x", datatype: "FP64", shape: [-1, k] }]
      : model.features.map((f) => ({ name: f, datatype: "FP64", shape: [-1] }));
  return {
    name,
    platform: "node-linear",
    inputs,
    outputs: [{ name: "y", datatype: "FP64", shape: [-1] }],
  };
}

function rowsFromV2(body, name) {
  const inputs = body.inputs;
  if (name === "lin") {
    const t = inputs[0];
    const n = t.shape[0];
    const rows = [];
    for (let r = 0; r < n; r++) rows.push(t.data.slice(r * k, r * k + k));
    return rows;
  }
  const byName = new Map(inputs.map((t) => [t.name, t.data]));
  const n = byName.get(model.features[0]).length;
  const rows = [];
  for (let r = 0; r < n; r++) rows.push(model.features.map((f) => byName.get(f)[r]));
  return rows;
}

function send(res, status, value, headers = {}) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(text);
}

function answer(mode, rest, method, body, res) {
  const v2 = rest.match(/^\/v2\/models\/([\w-]+)(\/infer)?$/);
  let ys;
  if (v2 && method === "GET" && !v2[2]) return send(res, 200, metadata(v2[1]));
  if (v2 && method === "POST" && v2[2]) {
    ys = rowsFromV2(JSON.parse(body), v2[1]).map(predictRow);
  } else if (rest === "/records" && method === "POST") {
    ys = JSON.parse(body).map((rec) => predictRow(model.features.map((f) => rec[f])));
  } else {
    return send(res, 404, { error: `no route ${method} ${rest}` });
  }
  if (mode === "short") ys = ys.slice(1);
  let values = ys;
  if (mode === "text") values = ys.map(() => "not a number");
  if (v2) {
    return send(res, 200, {
      model_name: v2[1],
      outputs: [{ name: "y", datatype: "FP64", shape: [values.length], data: values }],
    });
  }
  return send(res, 200, values.map((y) => ({ y })));
}

function misbehave(mode, req, res) {
  if (mode === "auth" && req.headers.authorization !== "Bearer s3cret") {
    send(res, 401, { error: "missing or wrong token" });
    return true;
  }
  if (mode === "redirect") {
    send(res, 302, "", { Location: "http://169.254.169.254/latest/meta-data/" });
    return true;
  }
  if (mode === "big") {
    send(res, 200, "[" + "1.0,".repeat(1024 * 1024) + "1.0]");
    return true;
  }
  if (mode === "slow") {
    setTimeout(() => send(res, 200, "[]"), 30000).unref();
    return true;
  }
  if (mode === "drip") {
    res.writeHead(200, { "Content-Type": "application/json" });
    const timer = setInterval(() => res.write(" "), 200);
    timer.unref();
    res.on("close", () => clearInterval(timer));
    return true;
  }
  const status = mode.match(/^status-(\d{3})$/);
  if (status) {
    send(res, Number(status[1]), "boom: the model server failed " + "x".repeat(400));
    return true;
  }
  const flake = mode.match(/^flaky-([\w]+)$/);
  if (flake) {
    const seen = flaky.get(flake[1]) || 0;
    flaky.set(flake[1], seen + 1);
    if (seen < 2) {
      send(res, 503, "warming up");
      return true;
    }
  }
  return false;
}

const server = http.createServer((req, res) => {
  requests += 1;
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const match = req.url.match(/^\/([\w-]+)(\/.*)$/);
    if (req.url === "/stats") return send(res, 200, { requests });
    if (!match) return send(res, 404, { error: "no mode" });
    const [, mode, rest] = match;
    if (misbehave(mode, req, res)) return;
    try {
      answer(mode, rest, req.method, Buffer.concat(chunks).toString("utf8"), res);
    } catch (err) {
      send(res, 400, { error: String(err) });
    }
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
