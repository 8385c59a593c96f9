// The inspector's form fields, built from a step kind's params JSON schema.
import { useEffect, useState } from "react";
import { columnsOf } from "./doc.js";
import { findModel, modelFeatures } from "./palette.js";

const DTYPES = ["float", "int", "str", "bool"];

function resolve(schema, root) {
  if (schema && schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return resolve((root.$defs || root.definitions || {})[name] || {}, root);
  }
  return schema || {};
}

// anyOf [X, null] -> X (nullable); other anyOf are returned as is.
function nonNull(schema, root) {
  const s = resolve(schema, root);
  if (s.anyOf) {
    const rest = s.anyOf.filter((a) => resolve(a, root).type !== "null");
    if (rest.length === 1) return { ...resolve(rest[0], root), title: s.title, default: s.default, nullable: true };
  }
  return s;
}

function label(name, schema) {
  return schema.title || name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

let uid = 0;
export function useId(prefix) {
  const [id] = useState(() => `${prefix}-${++uid}`);
  return id;
}

function TextField({ name, schema, value, onChange }) {
  const id = useId("f");
  return (
    <div className="field">
      <label htmlFor={id}>{label(name, schema)}</label>
      <input id={id} type="text" value={value ?? ""} onChange={(e) => onChange(e.target.value === "" && schema.nullable ? null : e.target.value)} />
    </div>
  );
}

function NumberField({ name, schema, value, onChange }) {
  const id = useId("f");
  return (
    <div className="field">
      <label htmlFor={id}>{label(name, schema)}</label>
      <input id={id} type="number" value={value ?? ""} step={schema.type === "integer" ? 1 : "any"}
        onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))} />
    </div>
  );
}

function EnumField({ name, schema, value, onChange, options }) {
  const id = useId("f");
  const values = options || schema.enum || [];
  return (
    <div className="field">
      <label htmlFor={id}>{label(name, schema)}</label>
      <select id={id} value={value ?? schema.default ?? ""} onChange={(e) => onChange(e.target.value)}>
        {values.map((v) => (
          <option key={String(v)} value={v}>{String(v)}</option>
        ))}
      </select>
    </div>
  );
}

function ListField({ name, schema, value, onChange }) {
  const id = useId("f");
  const [text, setText] = useState((value || []).join(", "));
  useEffect(() => setText((value || []).join(", ")), [JSON.stringify(value)]);
  return (
    <div className="field">
      <label htmlFor={id}>{label(name, schema)}</label>
      <input id={id} type="text" value={text} placeholder="comma-separated"
        onChange={(e) => {
          setText(e.target.value);
          const items = e.target.value.split(",").map((s) => s.trim()).filter(Boolean);
          onChange(items.length ? items : schema.nullable ? null : []);
        }} />
    </div>
  );
}

function KeyValueField({ name, schema, value, onChange, root, keyOptions, valueOptions }) {
  const entries = Object.entries(value || {});
  const valueSchema = resolve(schema.additionalProperties || { type: "string" }, root);
  const set = (list) => {
    const obj = {};
    for (const [k, v] of list) if (k !== "") obj[k] = v;
    onChange(Object.keys(obj).length || !schema.nullable ? obj : null);
  };
  const coerce = (v) => {
    if (valueSchema.type === "number" || valueSchema.type === "integer") return v === "" ? 0 : Number(v);
    return v;
  };
  return (
    <fieldset className="field kv">
      <legend>{label(name, schema)}</legend>
      {entries.map(([k, v], i) => (
        <div className="kv-row" key={i}>
          <input aria-label={`${label(name, schema)} key ${i + 1}`} type="text" value={k} list={keyOptions ? `${name}-keys` : undefined}
            onChange={(e) => set(entries.map((x, j) => (j === i ? [e.target.value, x[1]] : x)))} />
          {valueSchema.enum || valueOptions ? (
            <select aria-label={`${label(name, schema)} value for ${k}`} value={v} onChange={(e) => set(entries.map((x, j) => (j === i ? [x[0], e.target.value] : x)))}>
              {(valueOptions || valueSchema.enum).map((o) => <option key={o} value={o}>{o}</option>)}
            </select>
          ) : (
            <input aria-label={`${label(name, schema)} value for ${k}`} type={valueSchema.type === "number" ? "number" : "text"} value={v ?? ""}
              onChange={(e) => set(entries.map((x, j) => (j === i ? [x[0], coerce(e.target.value)] : x)))} />
          )}
          <button type="button" className="icon" aria-label={`Remove ${k || "entry"}`} onClick={() => set(entries.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      {keyOptions && (
        <datalist id={`${name}-keys`}>{keyOptions.map((o) => <option key={o} value={o} />)}</datalist>
      )}
      <button type="button" onClick={() => set([...entries, [`key${entries.length + 1}`, valueSchema.enum ? valueSchema.enum[0] : valueOptions ? valueOptions[0] : coerce("")]])}>
        Add entry
      </button>
    </fieldset>
  );
}

function SchemaRowsField({ name, schema, value, onChange, palette }) {
  const rows = value || [];
  const set = (list) => onChange(list);
  const [from, setFrom] = useState("");
  const models = (palette.models || []).filter((m) => modelFeatures(palette, { model: m.name }));
  return (
    <fieldset className="field rows">
      <legend>{label(name, schema)}</legend>
      {rows.map(([col, dtype], i) => (
        <div className="kv-row" key={i}>
          <input aria-label={`Column ${i + 1} name`} type="text" value={col} onChange={(e) => set(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))} />
          <select aria-label={`Column ${i + 1} type`} value={dtype} onChange={(e) => set(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))}>
            {DTYPES.map((d) => <option key={d}>{d}</option>)}
          </select>
          <button type="button" className="icon" aria-label={`Remove column ${col}`} onClick={() => set(rows.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      <button type="button" onClick={() => set([...rows, [`col${rows.length + 1}`, "float"]])}>Add column</button>
      {models.length > 0 && (
        <div className="kv-row">
          <select aria-label="Take the columns of a model's features" value={from} onChange={(e) => setFrom(e.target.value)}>
            <option value="">Columns from a model's features…</option>
            {models.map((m) => <option key={m.name} value={m.name}>{m.name}</option>)}
          </select>
          <button type="button" disabled={!from} onClick={() => {
            const model = findModel(palette, from);
            const version = (model.versions || []).reduce((a, b) => (!a || b.number > a.number ? b : a), null);
            const sig = (version && version.signature) || model.signature || {};
            set(columnsOf(sig.inputs || []).map((c) => [c.name, c.dtype]));
          }}>Use</button>
        </div>
      )}
    </fieldset>
  );
}

function OpsField({ name, schema, value, onChange, root }) {
  const item = resolve(schema.items || {}, root);
  const mapping = (item.discriminator && item.discriminator.mapping) || {};
  const variants = Object.keys(mapping).length
    ? Object.fromEntries(Object.entries(mapping).map(([k, ref]) => [k, resolve({ $ref: ref }, root)]))
    : Object.fromEntries((item.oneOf || item.anyOf || []).map((r) => {
        const s = resolve(r, root);
        return [s.properties?.op?.const, s];
      }));
  const ops = value || [];
  const [adding, setAdding] = useState(Object.keys(variants)[0] || "");
  const blank = (op) => {
    const s = variants[op];
    const out = { op };
    for (const key of s.required || []) {
      if (key === "op") continue;
      const p = resolve(s.properties[key], root);
      out[key] = p.type === "array" ? [] : p.type === "object" ? {} : "";
    }
    return out;
  };
  return (
    <fieldset className="field ops">
      <legend>{label(name, schema)}</legend>
      {ops.map((op, i) => {
        const s = variants[op.op] || { properties: {} };
        return (
          <div className="op" key={i}>
            <div className="op-head">
              <strong>{i + 1}. {op.op}</strong>
              <span className="spacer" />
              <button type="button" className="icon" aria-label={`Move operation ${i + 1} up`} disabled={i === 0}
                onClick={() => { const next = [...ops]; [next[i - 1], next[i]] = [next[i], next[i - 1]]; onChange(next); }}>↑</button>
              <button type="button" className="icon" aria-label={`Remove operation ${i + 1}`} onClick={() => onChange(ops.filter((_, j) => j !== i))}>×</button>
            </div>
            <Fields schema={s} root={root} value={op} skip={["op"]} onChange={(next) => onChange(ops.map((o, j) => (j === i ? { ...next, op: o.op } : o)))} />
          </div>
        );
      })}
      {Object.keys(variants).length > 0 && (
        <div className="kv-row">
          <select aria-label="Operation to add" value={adding} onChange={(e) => setAdding(e.target.value)}>
            {Object.keys(variants).map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
          <button type="button" onClick={() => onChange([...ops, blank(adding)])}>Add operation</button>
        </div>
      )}
    </fieldset>
  );
}

function JsonField({ name, schema, value, onChange }) {
  const id = useId("f");
  const [text, setText] = useState(JSON.stringify(value ?? null));
  const [bad, setBad] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{label(name, schema)} (JSON)</label>
      <input id={id} type="text" className={bad ? "invalid" : ""} value={text} onChange={(e) => {
        setText(e.target.value);
        try { onChange(JSON.parse(e.target.value)); setBad(false); } catch (err) { setBad(true); }
      }} />
    </div>
  );
}

function Field({ name, schema: raw, root, value, onChange, ctx }) {
  const schema = nonNull(raw, root);
  if (ctx && ctx.special && ctx.special[name]) return ctx.special[name]({ name, schema, value, onChange });
  if (schema.enum) return <EnumField name={name} schema={schema} value={value} onChange={onChange} />;
  if (schema.const !== undefined) return null;
  if (schema.type === "string") return <TextField name={name} schema={schema} value={value} onChange={onChange} />;
  if (schema.type === "integer" || schema.type === "number") return <NumberField name={name} schema={schema} value={value} onChange={onChange} />;
  if (schema.type === "boolean") {
    return (
      <label className="check"><input type="checkbox" checked={!!value} onChange={(e) => onChange(e.target.checked)} /> {label(name, schema)}</label>
    );
  }
  if (schema.type === "array") {
    const item = resolve(schema.items || {}, root);
    if (item.prefixItems) return <SchemaRowsField name={name} schema={schema} value={value} onChange={onChange} palette={ctx.palette} />;
    if (item.discriminator || item.oneOf) return <OpsField name={name} schema={schema} value={value} onChange={onChange} root={root} />;
    if (item.type === "string") return <ListField name={name} schema={schema} value={value} onChange={onChange} />;
  }
  if (schema.type === "object" && schema.additionalProperties) {
    return <KeyValueField name={name} schema={schema} value={value} onChange={onChange} root={root} />;
  }
  return <JsonField name={name} schema={schema} value={value} onChange={onChange} />;
}

export function Fields({ schema, root, value, onChange, skip = [], ctx = {} }) {
  const props = schema.properties || {};
  return Object.keys(props)
    .filter((k) => !skip.includes(k))
    .map((key) => (
      <Field key={key} name={key} schema={props[key]} root={root} value={value[key]} ctx={ctx}
        onChange={(v) => {
          const next = { ...value };
          if (v === null || v === undefined) delete next[key];
          else next[key] = v;
          onChange(next, key);
        }} />
    ));
}

export function ModelPicker({ palette, value, onChange }) {
  const models = palette.models || [];
  const known = models.some((m) => m.name === value);
  return (
    <div className="field">
      <label htmlFor="insp-model">Model</label>
      <select id="insp-model" value={value || ""} onChange={(e) => onChange(e.target.value)}>
        {!known && <option value={value || ""}>{value || "(choose a model)"}</option>}
        {models.map((m) => <option key={m.name} value={m.name}>{m.title && m.title !== m.name ? `${m.name} — ${m.title}` : m.name}</option>)}
      </select>
    </div>
  );
}

function aliasNames(model) {
  const aliases = model ? model.aliases || {} : {};
  const names = Array.isArray(aliases) ? aliases.map((a) => a.name || a.alias) : Object.keys(aliases);
  return ["latest", ...names.filter((n) => n !== "latest")];
}

export function VersionPicker({ palette, modelName, value, onChange }) {
  const model = findModel(palette, modelName);
  const versions = model ? (model.versions || []).map((v) => v.number).sort((a, b) => b - a) : [];
  const current = value === undefined || value === null ? "@latest" : String(value);
  const options = [...aliasNames(model).map((a) => `@${a}`), ...versions.map(String)];
  if (!options.includes(current)) options.unshift(current);
  return (
    <div className="field">
      <label htmlFor="insp-version">Version or alias</label>
      <select id="insp-version" value={current} onChange={(e) => onChange(/^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value)}>
        {options.map((o) => <option key={o} value={o}>{/^\d+$/.test(o) ? `version ${o}` : o}</option>)}
      </select>
    </div>
  );
}

export function MappingEditor({ features, columns, value, onChange }) {
  const mapping = value || {};
  // Models that know no feature names (x0, x1, ...) take columns by position.
  const positional = !Object.keys(mapping).length && features.length > 0 &&
    features.every((f, i) => f === `x${i}`) && features.some((f) => !columns.includes(f));
  return (
    <fieldset className="field mapping">
      <legend>Column mapping</legend>
      {features.length === 0 && <p className="help">The model's features are not known.</p>}
      <table className="mapping-table">
        <thead><tr><th>Feature</th><th>From column</th></tr></thead>
        <tbody>
          {features.map((f) => {
            const current = mapping[f] || "";
            const byName = columns.includes(f);
            return (
              <tr key={f}>
                <td><code>{f}</code></td>
                <td>
                  <select aria-label={`Column for feature ${f}`} value={current} className={!current && !byName && !positional ? "invalid" : ""}
                    onChange={(e) => {
                      const next = { ...mapping };
                      if (e.target.value) next[f] = e.target.value;
                      else delete next[f];
                      onChange(Object.keys(next).length ? next : null);
                    }}>
                    <option value="">
                      {byName ? `(same name: ${f})` : positional && columns[features.indexOf(f)] ? `(by position: ${columns[features.indexOf(f)]})` : "(missing — choose)"}
                    </option>
                    {columns.map((c) => <option key={c} value={c}>{c}</option>)}
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </fieldset>
  );
}

export function RawParams({ params, onChange }) {
  const [text, setText] = useState(JSON.stringify(params, null, 2));
  const [error, setError] = useState(null);
  useEffect(() => setText(JSON.stringify(params, null, 2)), [JSON.stringify(params)]);
  return (
    <details className="raw">
      <summary>Params as JSON</summary>
      <textarea aria-label="Params as JSON" value={text} rows={8} onChange={(e) => {
        setText(e.target.value);
        try {
          const v = JSON.parse(e.target.value);
          if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("an object is needed");
          setError(null);
          onChange(v);
        } catch (err) {
          setError(err.message);
        }
      }} />
      {error && <p className="error">{error}</p>}
    </details>
  );
}
