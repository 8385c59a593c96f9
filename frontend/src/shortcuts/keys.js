// Keyboard shortcuts: which action a key press asks for (see the "?" sheet).
export function isTyping(target) {
  if (!target) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || !!target.isContentEditable;
}

// The action name for a keydown event, or null. `dialog` is true while a dialog is open.
// Actions: save run runUntil undo redo copy paste selectAll delete shortcuts layout fit
// zoomIn zoomOut search clearSelection. `preventDefault` says whether to stop the browser's own.
export function shortcutFor(e, { dialog = false } = {}) {
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.toLowerCase();
  if (mod && k === "s") return { action: "save", preventDefault: true };
  if (mod && e.shiftKey && e.key === "Enter") return { action: "runUntil", preventDefault: true };
  if (mod && e.key === "Enter") return { action: "run", preventDefault: true };
  if (dialog || isTyping(e.target)) return null;
  if (mod && k === "z" && !e.shiftKey) return { action: "undo", preventDefault: true };
  if ((mod && k === "z" && e.shiftKey) || (mod && k === "y")) return { action: "redo", preventDefault: true };
  if (mod && k === "c") return { action: "copy", preventDefault: false };
  if (mod && k === "v") return { action: "paste", preventDefault: true };
  if (mod && k === "a") return { action: "selectAll", preventDefault: true };
  if (mod || e.altKey) return null;
  const plain = {
    Delete: ["delete", true],
    Backspace: ["delete", true],
    "?": ["shortcuts", false],
    "+": ["zoomIn", false],
    "=": ["zoomIn", false],
    "-": ["zoomOut", false],
    "/": ["search", true],
    Escape: ["clearSelection", false],
  }[e.key] || { l: ["layout", false], f: ["fit", false] }[k];
  return plain ? { action: plain[0], preventDefault: plain[1] } : null;
}
