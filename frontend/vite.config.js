import { defineConfig } from "vite";

// One island, one bundle: stable file names so Django can {% static %} them.
export default defineConfig({
  base: "./",
  publicDir: "public",
  build: {
    outDir: "../static/builder",
    emptyOutDir: true,
    cssCodeSplit: false,
    sourcemap: false,
    minify: true,
    target: "es2020",
    rollupOptions: {
      input: "src/main.jsx",
      // React Flow ships a "use client" directive, meaningless in this bundle.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
      output: {
        format: "es",
        entryFileNames: "editor.js",
        chunkFileNames: "editor-[name].js",
        assetFileNames: "editor[extname]",
      },
    },
  },
});
