import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, stop } from "esbuild";

const viewerDir = join(dirname(fileURLToPath(import.meta.url)), "../../../viewer");

/** One browser app, bundled: its page, its scripts by file name (entry and lazy chunks) and its style sheet. */
export interface BrowserApp {
  html: string;
  scripts: ReadonlyMap<string, string>;
  css: string;
}

export interface ViewerAssets {
  /** The parent's player (/watch, /demo): served under /assets/. */
  player: BrowserApp;
  /** The console for school admins and Diskominfo (/admin): served under /admin/assets/. */
  console: BrowserApp;
}

/** Bundles one entry with its lazy chunks in memory (ES2020 modules, minified, no source maps). */
async function bundle(entry: string, outdir: string): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: [join(viewerDir, entry)],
    bundle: true,
    format: "esm",
    target: "es2020",
    minify: true,
    write: false,
    legalComments: "none",
    jsx: "automatic",
    jsxImportSource: "preact",
    // Lazy imports (hls.js, the console's chart) go into chunks of their own, loaded only when needed.
    splitting: true,
    outdir,
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
  });
  return new Map(result.outputFiles.map((f) => [basename(f.path), f.text]));
}

/**
 * Bundles the browser apps (TypeScript, Preact, hls.js) in memory at start: no build step before `npm start`,
 * nothing written to disk, and no inline script so the CSP can forbid it.
 */
export async function buildViewerAssets(): Promise<ViewerAssets> {
  const [playerScripts, consoleScripts] = await Promise.all([
    bundle("src/player.ts", "/assets"),
    bundle("console/src/main.tsx", "/admin/assets"),
  ]);
  // esbuild keeps a helper process for further builds; there are none, so do not keep it (RSS, CPU).
  await stop();
  if (!playerScripts.has("player.js")) throw new Error("viewer bundle has no player.js");
  if (!consoleScripts.has("main.js")) throw new Error("console bundle has no main.js");
  const read = (path: string) => readFileSync(join(viewerDir, path), "utf8");
  return {
    player: { html: read("player.html"), scripts: playerScripts, css: read("viewer.css") },
    console: {
      html: read("console/console.html"),
      scripts: consoleScripts,
      css: read("console/console.css"),
    },
  };
}
