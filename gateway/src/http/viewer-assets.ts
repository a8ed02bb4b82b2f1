import { readdirSync, readFileSync } from "node:fs";
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

/** What makes the parent's page an installable app: its manifest, icons and service worker (shell only). */
export interface AppShell {
  manifest: string;
  /** `/sw.js`: a classic script (module workers are too new for the phones parents have). */
  serviceWorker: string;
  /** PNGs by file name, served under /icons/. */
  icons: ReadonlyMap<string, Buffer>;
}

export interface ViewerAssets {
  /** The parent's player (/watch, /demo): served under /assets/. */
  player: BrowserApp;
  shell: AppShell;
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

/** The service worker as one classic script: it may not import, and runs before any page script. */
async function bundleWorker(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(viewerDir, entry)],
    bundle: true,
    format: "iife",
    target: "es2020",
    minify: true,
    write: false,
    legalComments: "none",
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error(`no bundle for ${entry}`);
  return out.text;
}

/**
 * Bundles the browser apps (TypeScript, Preact, hls.js) in memory at start: no build step before `npm start`,
 * nothing written to disk, and no inline script so the CSP can forbid it.
 */
export async function buildViewerAssets(): Promise<ViewerAssets> {
  const [playerScripts, consoleScripts, serviceWorker] = await Promise.all([
    bundle("src/player.ts", "/assets"),
    bundle("console/src/main.tsx", "/admin/assets"),
    bundleWorker("src/sw.ts"),
  ]);
  // esbuild keeps a helper process for further builds; there are none, so do not keep it (RSS, CPU).
  await stop();
  if (!playerScripts.has("player.js")) throw new Error("viewer bundle has no player.js");
  if (!consoleScripts.has("main.js")) throw new Error("console bundle has no main.js");
  const read = (path: string) => readFileSync(join(viewerDir, path), "utf8");
  const iconDir = join(viewerDir, "icons");
  const icons = new Map(
    readdirSync(iconDir)
      .filter((f) => f.endsWith(".png"))
      .map((f) => [f, readFileSync(join(iconDir, f))] as const),
  );
  return {
    player: { html: read("player.html"), scripts: playerScripts, css: read("viewer.css") },
    shell: { manifest: read("manifest.webmanifest"), serviceWorker, icons },
    console: {
      html: read("console/console.html"),
      scripts: consoleScripts,
      css: read("console/console.css"),
    },
  };
}
