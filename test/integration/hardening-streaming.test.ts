import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { parseMediaPlaylist } from "../helpers/llhls-client.js";
import { makeSchool, openLink, watchAs, type SchoolFixture } from "../helpers/school-fixture.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// Issue 9 items 5, 6, 10 and 12: what a parent with a stream token, or anyone on the network, could do to the
// media paths.

let gw: TestGateway;
let n = 0;
const school = () => makeSchool(gw, `SD Negeri Streaming ${String(++n)}`);

beforeAll(async () => {
  gw = await startTestGateway({
    dev: { openStreams: false },
    access: { viewingIdleSeconds: 5 },
    // 1 s parts: a request waiting for the next part waits long enough for a test to act meanwhile.
    streaming: {
      idleStopSeconds: 5,
      partTargetSeconds: 1,
      blockingReloadMaxSeconds: 5,
      wsMaxPerSession: 2,
      wsMaxPerAddress: 3,
    },
  });
});

afterAll(async () => {
  await gw.close();
});

type Outcome = { video: true; ws: WebSocket } | { video: false; code: number; reason: string };

/** Opens a WebSocket and resolves once it either receives video (a binary message) or is closed. */
function openViewer(url: string, localAddress?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, localAddress === undefined ? {} : { localAddress });
    ws.on("error", reject);
    ws.on("message", (_d, binary) => {
      if (binary) resolve({ video: true, ws });
    });
    ws.on("close", (code, reason) => {
      resolve({ video: false, code, reason: reason.toString() });
    });
  });
}

const closeAll = (outcomes: Outcome[]) =>
  Promise.all(
    outcomes.flatMap((o) =>
      o.video && o.ws.readyState !== WebSocket.CLOSED
        ? [
            new Promise((resolve) => {
              o.ws.once("close", resolve);
              o.ws.close();
            }),
          ]
        : [],
    ),
  );

describe("WebSocket caps (item 5)", () => {
  // Broke: one stream token opened any number of WebSockets, each sent the whole GOP and every frame.
  it("20 sockets on one token: 2 get video, the other 18 are refused with socket_limit", async () => {
    const f = await school();
    const phone = await openLink(gw, f.linkPath);
    const w = await watchAs(gw, phone, f.cameraId);
    // From an address of its own: the per-address cap (3 here) is another test's.
    const from = "127.0.0.3";
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => openViewer(w.ws, from)));
    try {
      const watching = outcomes.filter((o) => o.video);
      const refused = outcomes.flatMap((o) => (o.video ? [] : [{ code: o.code, reason: o.reason }]));
      expect(watching).toHaveLength(2);
      expect(refused).toEqual(Array.from({ length: 18 }, () => ({ code: 4403, reason: "socket_limit" })));
    } finally {
      await closeAll(outcomes);
    }
    // A closed socket gives its place back.
    let again: Outcome;
    for (;;) {
      again = await openViewer(w.ws, from);
      if (again.video || again.reason !== "socket_limit") break;
    }
    expect(again.video).toBe(true);
    await closeAll([again]);
  });

  // Broke: nothing bounded the sockets one client address opened with many tokens.
  it("the per-address cap refuses with address_limit; another address is not affected", async () => {
    const f = await school();
    const a = await watchAs(gw, await openLink(gw, f.linkPath), f.cameraId);
    const b = await watchAs(gw, await openLink(gw, f.linkPath), f.cameraId);
    const held = [await openViewer(a.ws), await openViewer(a.ws), await openViewer(b.ws)];
    try {
      expect(held.map((o) => o.video)).toEqual([true, true, true]);
      const over = await openViewer(b.ws);
      held.push(over);
      expect(over.video ? "video" : { code: over.code, reason: over.reason }).toEqual({
        code: 4403,
        reason: "address_limit",
      });
      // The same phone from another address (its other network) still gets its second socket.
      const elsewhere = await openViewer(b.ws, "127.0.0.2");
      held.push(elsewhere);
      expect(elsewhere.video).toBe(true);
    } finally {
      await closeAll(held);
    }
  });
});

/** Sends a raw HTTP request on a fresh TCP connection; resolves with all it received once the server closed. */
function rawUpgrade(path: string, headers: string): Promise<{ text: string; closed: boolean }> {
  const port = new URL(gw.url).port;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let text = "";
    // Only a bound on a failing test: the old gateway never answered nor closed.
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 5000);
    socket.on("error", reject);
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}\r\n`);
  });
}

const wsHeaders =
  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

describe("upgrades the gateway does not serve (item 6)", () => {
  // Broke: an upgrade on any path but /live/… got no answer and its socket stayed open forever.
  it.each([
    ["/", wsHeaders, 404],
    ["/api/x", wsHeaders, 404],
    [
      "/api/health",
      "Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n",
      404,
    ],
    ["/live/%2e%2e/ws", wsHeaders, 404],
    ["/live/not-a-token/main/part/1.m4s", wsHeaders, 404],
    // A WebSocket path, but no WebSocket handshake: ws answers it.
    ["/live/not-a-token/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\n", 400],
  ])("upgrade on %s → HTTP error and the socket closes", async (path, headers, status) => {
    const r = await rawUpgrade(path, headers);
    expect(r.text.split("\r\n")[0]).toBe(
      `HTTP/1.1 ${String(status)} ${status === 404 ? "Not Found" : "Bad Request"}`,
    );
    expect(r.closed).toBe(true);
  });

  it("an unknown path's answer says why, as the API's errors do", async () => {
    const r = await rawUpgrade("/api/x", wsHeaders);
    expect(r.text).toMatch(/\r\nConnection: close\r\n/i);
    const body = r.text.slice(r.text.indexOf("\r\n\r\n") + 4);
    expect(JSON.parse(body)).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("re-authorization after a wait (item 10)", () => {
  const media = (hls: string) => hls.replace("index.m3u8", "main/index.m3u8");
  const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  // Broke: a preload-hinted part waited for was sent after the classroom was paused during the wait.
  it("a part requested ahead, paused during its wait → 403 paused, not the bytes", async () => {
    const f: SchoolFixture = await school();
    const w = await watchAs(gw, await openLink(gw, f.linkPath), f.cameraId);
    const first = await fetch(media(w.hls));
    expect(first.status).toBe(200);
    // Wait for the next part to close, so the one after the hint is at least a whole part (1 s) away.
    const pl = parseMediaPlaylist(await first.text());
    const last = pl.parts.at(-1);
    if (!last) throw new Error("no part in the first playlist");
    const next = parseMediaPlaylist(
      await (
        await fetch(`${media(w.hls)}?_HLS_msn=${String(last.msn)}&_HLS_part=${String(last.index + 1)}`)
      ).text(),
    );
    const hint = Number(/part\/(\d+)\.m4s/.exec(next.preloadHint ?? "")?.[1]);
    expect(Number.isInteger(hint)).toBe(true);
    const ahead = fetch(new URL(`part/${String(hint + 1)}.m4s`, media(w.hls)));
    await gw.admin.expect(200, "POST", `/api/classrooms/${f.classroomId}/pause`, {});
    const res = await ahead;
    expect(res.status).toBe(403);
    expect(await code(res)).toBe("paused");
  });

  // Broke: the first playlist of a cold rendition, which waits for its first segment, skipped the check too.
  it("a cold playlist request, guardian revoked during the start → 403 revoked", async () => {
    const f = await school();
    const w = await watchAs(gw, await openLink(gw, f.linkPath), f.cameraId);
    const cold = fetch(media(w.hls));
    await gw.admin.expect(200, "PATCH", `/api/guardians/${f.guardianId}`, { revoked: true });
    const res = await cold;
    expect(res.status).toBe(403);
    expect(await code(res)).toBe("revoked");
  });
});

describe("a cold master playlist (item 12)", () => {
  let camera: TestCamera;
  beforeAll(async () => {
    camera = await startTestCamera({ width: 640, height: 360, subWidth: 320, subHeight: 180 });
  });
  afterAll(async () => {
    await camera.stop();
  });

  /** Each EXT-X-STREAM-INF's attributes, by variant URI. */
  const variants = (text: string) => {
    const lines = text.split("\n");
    const out: Record<string, Record<string, string>> = {};
    lines.forEach((line, i) => {
      if (!line.startsWith("#EXT-X-STREAM-INF:")) return;
      const attrs: Record<string, string> = {};
      for (const m of line.slice(18).matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)) {
        attrs[m[1] as string] = (m[2] as string).replace(/^"|"$/g, "");
      }
      out[lines[i + 1] ?? ""] = attrs;
    });
    return out;
  };

  // Broke: the very first master playlist of a camera listed only a guessed BANDWIDTH, no CODECS or RESOLUTION.
  it("the first master request of a never-started camera carries CODECS and RESOLUTION", async () => {
    const { id } = await gw.addCamera({
      name: "Kelas dingin",
      source: { kind: "rtsp", url: camera.url("main"), subUrl: camera.url("sub") },
    });
    const w = await gw.watch(id, gw.admin);
    const res = await fetch(w.hls);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(variants(text)).toEqual({
      "sub/index.m3u8": expect.objectContaining({
        CODECS: expect.stringMatching(/^avc1\.[0-9a-f]{6}$/) as string,
        RESOLUTION: "320x180",
      }) as Record<string, string>,
      "main/index.m3u8": expect.objectContaining({
        CODECS: expect.stringMatching(/^avc1\.[0-9a-f]{6}$/) as string,
        RESOLUTION: "640x360",
      }) as Record<string, string>,
    });
  });
});
