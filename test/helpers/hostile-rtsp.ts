import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import tls from "node:tls";

// A loopback TCP server of the test's own that plays a camera's RTSP port badly: it parses requests the
// way a camera would (head up to the blank line; no request here has a body) and lets the test answer each,
// or say nothing, or say garbage. It records what it got, and how many connections are still open, so a
// test can see that the client sent nothing it should not and closed what it opened.

export interface HostileRequest {
  method: string;
  uri: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** 1 for the first request on its connection. */
  n: number;
}

export interface HostileBehaviour {
  /** Called once per connection before any request (write garbage, trickle bytes, or nothing). */
  onConnection?(socket: Socket): void;
  /** Called per request; answer through `socket` (rtspReply helps), or do not. */
  onRequest?(req: HostileRequest, socket: Socket): void;
}

export interface HostileRtsp {
  readonly host: string;
  readonly port: number;
  url(path?: string): string;
  /** Every request received, across connections. */
  readonly requests: HostileRequest[];
  /** Connections accepted so far. */
  connections(): number;
  /** Connections not yet closed (by either side). */
  open(): number;
  close(): Promise<void>;
}

const MAX_BUFFERED = 64 * 1024;

/** Starts the server on a free port of `host`; with `secure`, it speaks RTSP over TLS (rtsps://). */
export async function startHostileRtsp(
  behaviour: HostileBehaviour,
  host = "127.0.0.1",
  secure?: { key: string; cert: string },
): Promise<HostileRtsp> {
  const sockets = new Set<Socket>();
  const requests: HostileRequest[] = [];
  let accepted = 0;
  const onSocket = (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    let buffered = "";
    let n = 0;
    socket.setEncoding("latin1").on("data", (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_BUFFERED) {
        socket.destroy();
        return;
      }
      let end: number;
      while ((end = buffered.indexOf("\r\n\r\n")) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const [line = "", ...lines] = head.split("\r\n");
        const [method = "", uri = ""] = line.split(" ");
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const colon = l.indexOf(":");
          if (colon > 0) headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
        }
        const req = { method, uri, headers, n: ++n };
        requests.push(req);
        behaviour.onRequest?.(req, socket);
      }
    });
    behaviour.onConnection?.(socket);
  };
  const server: Server = secure ? tls.createServer(secure, onSocket) : createServer(onSocket);
  server.on("error", () => undefined);
  // A failed handshake must not end the test server.
  server.on("tlsClientError", () => undefined);
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve((server.address() as { port: number }).port));
  });
  return {
    host,
    port,
    url: (path = "/stream") => `${secure ? "rtsps" : "rtsp"}://${host}:${String(port)}${path}`,
    requests,
    connections: () => accepted,
    open: () => sockets.size,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `text` one byte every `everyMs`, until it is all out or the socket closes. */
export function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (i < text.length && !socket.destroyed) socket.write(text.charAt(i++));
    else clearInterval(timer);
  }, everyMs);
  socket.on("close", () => clearInterval(timer));
}

/** An RTSP reply with CSeq echoed and a Content-Length for the body. */
export function rtspReply(
  req: HostileRequest,
  status: number,
  reason: string,
  headers: Record<string, string | string[]> = {},
  body = "",
): string {
  const lines = [`RTSP/1.0 ${String(status)} ${reason}`, `CSeq: ${req.headers.cseq ?? "0"}`];
  for (const [k, v] of Object.entries(headers)) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
  if (body !== "") lines.push(`Content-Length: ${String(Buffer.byteLength(body))}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** A small valid SDP; `media` are whole m= sections. */
export function sdpOf(...media: string[][]): string {
  return ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=Hostile", "t=0 0", ...media.flat()].join("\r\n") + "\r\n";
}

export const h264Video = ["m=video 0 RTP/AVP 96", "a=rtpmap:96 H264/90000", "a=x-dimensions:1280,720"];
export const pcmaAudio = ["m=audio 0 RTP/AVP 8", "a=rtpmap:8 PCMA/8000"];

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

/** The parameters of an `Authorization: Digest …` header. */
export function digestParams(header: string | undefined): Record<string, string> | undefined {
  if (header === undefined || !/^Digest\s/i.test(header)) return undefined;
  const out: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    out[(m[1] ?? "").toLowerCase()] = m[2] ?? m[3] ?? "";
  }
  return out;
}

/**
 * Whether a Digest Authorization answers (realm, nonce) for this user and password, as the camera checks
 * it (RFC 2617 §3.2.2.1, with or without qop=auth).
 */
export function digestValid(
  header: string | undefined,
  method: string,
  expect: { username: string; password: string; realm: string; nonce: string },
): boolean {
  const p = digestParams(header);
  if (p === undefined) return false;
  if (p.username !== expect.username || p.realm !== expect.realm || p.nonce !== expect.nonce) return false;
  const ha1 = md5(`${expect.username}:${expect.realm}:${expect.password}`);
  const ha2 = md5(`${method}:${p.uri ?? ""}`);
  const response =
    p.qop === "auth"
      ? md5(`${ha1}:${expect.nonce}:${p.nc ?? ""}:${p.cnonce ?? ""}:auth:${ha2}`)
      : md5(`${ha1}:${expect.nonce}:${ha2}`);
  return p.response === response;
}
