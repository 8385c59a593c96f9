// Keyboard shortcuts on the window: each key's action calls its handler.
import { useEffect, useRef } from "react";
import { shortcutFor } from "./keys.js";

// `handlers` maps action names (see keys.js) to functions; read at key time.
export function useShortcuts(handlers, dialog) {
  const current = useRef(null);
  current.current = { handlers, dialog };
  useEffect(() => {
    const onKey = (e) => {
      const hit = shortcutFor(e, { dialog: !!current.current.dialog });
      const handler = hit && current.current.handlers[hit.action];
      if (!handler) return;
      if (hit.preventDefault) e.preventDefault();
      handler();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
