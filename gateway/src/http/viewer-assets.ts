import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, stop } from "esbuild";

const viewerDir = join(dirname(fileURLToPath(import.meta.url)), "../../../viewer");

export interface ViewerAssets {
  playerHtml: string;
  /** Script files by name under /assets/: the entry `player.js` and the chunks it imports lazily. */
  scripts: ReadonlyMap<string, string>;
  css: string;
}

/**
 * Bundles the browser app (TypeScript + hls.js) in memory at start: no build step before `npm start`,
 * nothing written to disk, and no inline script so the CSP can forbid it.
 */
export async function buildViewerAssets(): Promise<ViewerAssets> {
  const result = await build({
    entryPoints: [join(viewerDir, "src/player.ts")],
    bundle: true,
    format: "esm",
    target: "es2020",
    minify: true,
    write: false,
    legalComments: "none",
    // hls.js goes into its own chunk, loaded only in LL-HLS mode: the WebSocket path starts sooner.
    splitting: true,
    outdir: "/assets",
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
  });
  // esbuild keeps a helper process for further builds; there are none, so do not keep it (RSS, CPU).
  await stop();
  const scripts = new Map(result.outputFiles.map((f) => [basename(f.path), f.text]));
  if (!scripts.has("player.js")) throw new Error("viewer bundle has no player.js");
  return {
    playerHtml: readFileSync(join(viewerDir, "player.html"), "utf8"),
    scripts,
    css: readFileSync(join(viewerDir, "viewer.css"), "utf8"),
  };
}
