import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const viewerDir = join(dirname(fileURLToPath(import.meta.url)), "../../../viewer");

export interface ViewerAssets {
  playerHtml: string;
  playerJs: string;
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
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error("viewer bundle is empty");
  return {
    playerHtml: readFileSync(join(viewerDir, "player.html"), "utf8"),
    playerJs: js,
    css: readFileSync(join(viewerDir, "viewer.css"), "utf8"),
  };
}
