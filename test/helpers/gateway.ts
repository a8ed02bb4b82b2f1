import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { ConfigInput } from "../../gateway/src/config/config.schema.js";
import { parseConfig } from "../../gateway/src/config/load-config.js";
import { startGateway, type Gateway } from "../../gateway/src/main.js";

export interface TestGateway extends Gateway {
  dataDir: string;
  /** POST /api/watch/:id and return absolute URLs. */
  watch(cameraId: string): Promise<{ hls: string; ws: string; token: string }>;
  addCamera(body: unknown): Promise<{ id: string }>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A real gateway in this process: SQLite in a fresh temp folder, HTTP on 127.0.0.1 and a free port. */
export async function startTestGateway(
  overrides: DeepPartial<ConfigInput> = {},
  opts: { dataDir?: string; keepData?: boolean } = {},
): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "pantau-test-"));
  const config = parseConfig({
    dataDir,
    demo: false,
    logLevel: "silent",
    ...overrides,
    http: { host: "127.0.0.1", port: 0, ...overrides.http },
    dev: { openStreams: true, ...overrides.dev },
    streaming: { ...overrides.streaming },
  });
  const log = pino({ level: process.env.PANTAU_TEST_LOG ?? "silent" });
  const gw = await startGateway(config, log);
  return {
    ...gw,
    dataDir,
    close: async () => {
      await gw.close();
      if (opts.keepData !== true) rmSync(dataDir, { recursive: true, force: true });
    },
    async addCamera(body) {
      const res = await fetch(`${gw.url}/api/cameras`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`addCamera: ${String(res.status)} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    async watch(cameraId) {
      const res = await fetch(`${gw.url}/api/watch/${cameraId}`, { method: "POST" });
      if (!res.ok) throw new Error(`watch: ${String(res.status)} ${await res.text()}`);
      const w = (await res.json()) as { hls: string; ws: string };
      const token = /\/live\/([^/]+)\//.exec(w.hls)?.[1] ?? "";
      return { hls: gw.url + w.hls, ws: gw.url.replace(/^http/, "ws") + w.ws, token };
    },
  };
}
