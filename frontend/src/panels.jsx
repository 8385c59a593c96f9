import { useEffect, useRef, useState } from "react";
import { versionLabel } from "./StepNode.jsx";
import { problemLinks } from "./validation/problems.js";

export const DRAG_TYPE = "application/x-catena-step";

function aliasList(model) {
  const aliases = model.aliases || {};
  if (Array.isArray(aliases)) return aliases.map((a) => ({ name: a.name || a.alias, version: a.version }));
  return Object.entries(aliases).map(([name, version]) => ({ name, version }));
}

function paletteKey(spec) {
  if (spec.kind === "model") return `model:${spec.model}${spec.version === "@latest" ? "" : `:${spec.version}`}`;
  if (spec.kind === "chain") return `chain:${spec.chain}${spec.version === "@live" ? "" : `:${spec.version}`}`;
  return spec.kind;
}

function chainSpec(c) {
  return { kind: "chain", chain: c.name, version: c.live ? "@live" : c.latest };
}

function ChainsSection({ chains, onAdd, readOnly, q }) {
  return (
    <>
      <h3>Chains</h3>
      {chains.length === 0 && <p className="muted small">{q ? "No chain matches." : "No saved chain yet."}</p>}
      <ul className="palette-list" aria-label="Saved chains">
        {chains.map((c) => (
          <PaletteItem key={c.name} spec={chainSpec(c)} title={c.name} onAdd={onAdd} disabled={readOnly}
            detail={[`v${[...(c.versions || [])].reverse().join(", v")}`, c.live ? `@live→v${c.live}` : "no live version"].join(" · ")} />
        ))}
      </ul>
    </>
  );
}

function PaletteItem({ spec, title, detail, onAdd, disabled }) {
  return (
    <li>
      <button
        type="button"
        className="palette-item"
        draggable={!disabled}
        disabled={disabled}
        data-palette={paletteKey(spec)}
        aria-label={`Add ${title}${{ model: " model", chain: " chain" }[spec.kind] || " step"} (drag onto the canvas, or press Enter)`}
        onDragStart={(e) => {
          e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(spec));
          e.dataTransfer.effectAllowed = "copy";
        }}
        onClick={() => onAdd(spec)}
      >
        <span className="palette-title">{title}</span>
        {detail && <span className="palette-detail">{detail}</span>}
      </button>
    </li>
  );
}

export function Palette({ palette, onAdd, readOnly, searchRef }) {
  const [query, setQuery] = useState("");
  const q = query.trim().toLowerCase();
  const kinds = (palette.kinds || []).filter((k) => k.kind !== "model" && k.kind !== "chain");
  const hit = (...texts) => !q || texts.some((t) => String(t || "").toLowerCase().includes(q));
  const models = (palette.models || []).filter((m) =>
    hit(m.name, m.title, m.description, ...aliasList(m).map((a) => a.name)),
  );
  return (
    <aside className="palette" aria-label="Palette">
      <label htmlFor="palette-search" className="sr-only">Search the palette</label>
      <input id="palette-search" ref={searchRef} type="search" placeholder="Search (press /)"
        value={query} onChange={(e) => setQuery(e.target.value)} />
      <h3>Steps</h3>
      <ul className="palette-list">
        {kinds.filter((k) => hit(k.kind, k.title, k.description)).map((k) => (
          <PaletteItem key={k.kind} spec={{ kind: k.kind }} title={k.title || k.kind} detail={k.description} onAdd={onAdd} disabled={readOnly} />
        ))}
      </ul>
      <h3>Models</h3>
      {models.length === 0 && <p className="muted small">{q ? "No model matches." : "No registered model yet."}</p>}
      <ul className="palette-list">
        {models.map((m) => {
          const versions = (m.versions || []).map((v) => v.number).sort((a, b) => b - a);
          const aliases = aliasList(m);
          return (
            <li key={m.name} className="palette-model">
              <PaletteItem spec={{ kind: "model", model: m.name, version: "@latest" }} title={m.name}
                detail={[versions.length ? `v${versions.join(", v")}` : "no version", ...aliases.map((a) => `@${a.name}→v${a.version}`)].join(" · ")}
                onAdd={onAdd} disabled={readOnly} />
              {(aliases.length > 0 || versions.length > 1) && (
                <ul className="palette-sub" aria-label={`${m.name} aliases and versions`}>
                  {aliases.map((a) => (
                    <PaletteItem key={a.name} spec={{ kind: "model", model: m.name, version: `@${a.name}` }} title={`${m.name} ${versionLabel("@" + a.name)}`} onAdd={onAdd} disabled={readOnly} />
                  ))}
                  {versions.length > 1 &&
                    versions.slice(0, 3).map((v) => (
                      <PaletteItem key={v} spec={{ kind: "model", model: m.name, version: v }} title={`${m.name} v${v}`} onAdd={onAdd} disabled={readOnly} />
                    ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      <ChainsSection chains={(palette.chains || []).filter((c) => hit(c.name, c.title))} onAdd={onAdd} readOnly={readOnly} q={q} />
    </aside>
  );
}

export function ProblemsPanel({ problems, validating, onPick }) {
  const errors = problems.filter((p) => p.severity !== "warning").length;
  return (
    <section className="problems" aria-label="Problems">
      <h2>
        Problems <span className={`badge ${errors ? "failed" : "ok"}`} data-testid="problem-count">{problems.length}</span>
        {validating && <span className="muted small"> checking…</span>}
      </h2>
      {problems.length === 0 ? (
        <p className="muted small">No problems: the chain fits together.</p>
      ) : (
        <ul className="problem-list">
          {problems.map((p, i) => (
            <li key={i} className={p.severity || "error"}>
              <button type="button" className="link problem" onClick={() => onPick(p)} data-code={p.code}>
                <span className="problem-where">{p.edge ? `${p.edge[0]} → ${p.edge[1]}` : p.node || "chain"}</span>
                <span className="problem-message">{p.message}</span>
              </button>
              {problemLinks(p).map((link) => (
                <a key={link.href + link.label} className="problem-link small" href={link.href} target="_blank" rel="noreferrer">{link.label}</a>
              ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Modal({ title, onClose, children, wide }) {
  const ref = useRef(null);
  useEffect(() => {
    const previous = document.activeElement;
    const first = ref.current.querySelector("input, select, textarea, button:not(.modal-close)");
    (first || ref.current).focus();
    return () => previous && previous.focus && previous.focus();
  }, []);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal ${wide ? "wide" : ""}`} role="dialog" aria-modal="true" aria-label={title} ref={ref} tabIndex={-1}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onClose();
          }
        }}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="icon modal-close" aria-label="Close" onClick={onClose}>×</button>
        </div>
        {children}
      </div>
    </div>
  );
}

export const SHORTCUTS = [
  ["Ctrl+S", "Save a new version"],
  ["Ctrl+Z", "Undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Ctrl+C / Ctrl+V", "Copy / paste the selected nodes"],
  ["Ctrl+A", "Select every node"],
  ["Delete / Backspace", "Delete the selection"],
  ["Shift+click, drag a box", "Select several nodes"],
  ["Arrow keys", "Move the focused node"],
  ["Tab, Enter", "Focus and select nodes and palette entries"],
  ["L", "Auto-layout"],
  ["F", "Fit the chain in view"],
  ["+ / −", "Zoom in / out"],
  ["/", "Search the palette"],
  ["Ctrl+Enter", "Run on the chosen data set"],
  ["Ctrl+Shift+Enter", "Run up to the selected node"],
  ["Right-click a node", "Run up to here, try variants"],
  ["?", "This sheet"],
  ["Esc", "Close a dialog, clear the selection"],
];

export function ShortcutsSheet({ onClose }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}><td><kbd>{keys}</kbd></td><td>{what}</td></tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}
