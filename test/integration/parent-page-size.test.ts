import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildViewerAssets } from "../../gateway/src/http/viewer-assets.js";

// The parent page's JavaScript budget (issue 12): at most 200 kB gzipped with hls.js included, and hls.js
// only in a chunk loaded when needed, so the WebSocket path on a cheap phone downloads a small entry alone.

const budgetBytes = 200_000;
const entryBudgetBytes = 40_000;
const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
/** A name only hls.js's code has (its config's defaults), to find the chunk that holds it. */
const hlsMarker = "manifestLoadingTimeOut";

describe("the parent page's JavaScript", () => {
  it("weighs at most 200 kB gzipped, hls.js included, with hls.js in a lazy chunk of its own", async () => {
    const assets = await buildViewerAssets();
    const scripts = assets.player.scripts;
    const gz = new Map([...scripts].map(([name, js]) => [name, gzipSync(js, { level: 9 }).length]));
    const entry = scripts.get("player.js") ?? "";
    const staticImports = [...entry.matchAll(/from\s*"\.\/([^"]+\.js)"/g)].map((m) => m[1]);
    const lazyImports = [...entry.matchAll(/import\(\s*"\.\/([^"]+\.js)"\s*\)/g)].map((m) => m[1]);
    const hlsChunks = [...scripts].filter(([, js]) => js.includes(hlsMarker)).map(([name]) => name);
    const worker = gzipSync(assets.shell.serviceWorker, { level: 9 }).length;
    const total = [...gz.values()].reduce((a, b) => a + b, 0) + worker;
    const hlsSize = hlsChunks.reduce((a, n) => a + (gz.get(n) ?? 0), 0);
    console.info(
      `parent page JS, gzipped: entry ${kb(gz.get("player.js") ?? 0)}, hls.js chunk ${kb(hlsSize)}, ` +
        `service worker ${kb(worker)}, total ${kb(total)} (${String(scripts.size)} scripts)`,
    );

    expect(hlsChunks).toHaveLength(1);
    const hlsChunk = hlsChunks[0] ?? "";
    expect(hlsChunk).not.toBe("player.js");
    expect(lazyImports).toContain(hlsChunk);
    expect(staticImports).not.toContain(hlsChunk);
    expect(gz.get("player.js"), "entry, gzipped").toBeLessThanOrEqual(entryBudgetBytes);
    expect(total, "all of the parent page's scripts and its service worker, gzipped").toBeLessThanOrEqual(
      budgetBytes,
    );
  });
});
