import net, { type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import tls from "node:tls";
import { fillCredentialParams, separateCredentials } from "../cameras/url-credentials.js";
import { redact } from "../ffmpeg/redact.js";
import { AddressNotAllowedError, UnknownHostError, type NetworkGuard } from "../net/network-guard.js";
import { digestAuthorization, parseDigestChallenge } from "../onvif/http-digest.js";
import { parseSdp } from "./sdp.js";

export type RtspProbeErrorCode =
  | "unreachable"
  | "timeout"
  | "auth_failed"
  | "bad_reply"
  | "too_large"
  | "not_found"
  | "not_allowed"
  | "no_video"
  | "unsupported";

export interface RtspProbeResult {
  ok: boolean;
  /** From the call to the answer (or the failure), in ms. */
  ms: number;
  /** `message` is for logs and the console: it never holds a password (nor the URL's query). */
  error?: { code: RtspProbeErrorCode; message: string };
  video?: { codec: string; width?: number; height?: number; fps?: number };
  /** The camera's Server header, as it said it (control characters removed, cut at 120). */
  server?: string;
}

export interface RtspProbeCredentials {
  username?: string | undefined;
  password?: string | undefined;
}

export interface RtspProbeOptions {
  /** The whole probe: resolve, connect, OPTIONS, DESCRIBE and any answer to a challenge. */
  deadlineMs: number;
  /** Cap on each reply, headers and body together. */
  maxReplyBytes: number;
  /** Where cameras may be: the probe connects to the address it checked, never to a name. */
  network: NetworkGuard;
  /** Aborting ends the probe at once; it then rejects with the signal's reason (the gateway is closing). */
  signal?: AbortSignal;
}

const USER_AGENT = "Pantau health probe";

/** A failure with its code; thrown inside the probe, returned as the result. */
class ProbeFailure extends Error {
  constructor(
    readonly code: RtspProbeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface RtspReply {
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  body: Buffer;
}

const header = (r: RtspReply, name: string) => r.headers.get(name.toLowerCase())?.[0];

/**
 * Asks a camera for its stream description the way ffmpeg's RTSP client starts (OPTIONS, then DESCRIBE
 * with Accept: application/sdp), answering a Digest challenge (RFC 2617/7616, MD5) or, only when the
 * camera offers nothing else, a Basic one: a password never leaves unasked. No SETUP, no media: a health
 * probe costs the camera two requests on one TCP connection. `creds` win over credentials written into
 * the URL (user info, or `password=`-like query items, filled in on the wire only). Never throws for what
 * the camera does; it rejects only when `signal` aborts.
 */
export async function probeRtsp(
  url: string,
  creds: RtspProbeCredentials,
  opts: RtspProbeOptions,
): Promise<RtspProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  opts.signal?.throwIfAborted();

  let target: URL;
  let inUrl: ReturnType<typeof separateCredentials>;
  try {
    target = new URL(url);
    inUrl = separateCredentials(url);
  } catch {
    return fail(elapsed(), "unsupported", "not a URL");
  }
  if (target.protocol !== "rtsp:" && target.protocol !== "rtsps:") {
    return fail(elapsed(), "unsupported", `scheme ${target.protocol} is not rtsp: or rtsps:`);
  }
  const username = creds.username ?? inUrl.username;
  const password = creds.password ?? inUrl.password;
  const shown = safeRtspUrl(inUrl.url);
  const clean = (text: string) => redact(text, [password]);

  const probe = new Probe(
    // Credentials a camera takes in the query (Dahua, XMEye) go back in only on the wire.
    fillCredentialParams(inUrl.url, username, password),
    new URL(inUrl.url),
    username === undefined && password === undefined
      ? undefined
      : { username: username ?? "", password: password ?? "" },
    opts,
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ProbeFailure("timeout", `waited ${String(opts.deadlineMs)} ms for ${probe.stage}`));
    }, opts.deadlineMs);
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error("aborted"));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const work = probe.run();
  // Whichever loses the race is settled and ignored, never left to reject unhandled.
  work.catch(() => undefined);
  aborted.catch(() => undefined);
  deadline.catch(() => undefined);
  try {
    const found = await Promise.race([work, deadline, aborted]);
    return { ok: true, ms: elapsed(), video: found.video, ...(found.server && { server: found.server }) };
  } catch (e) {
    if (opts.signal?.aborted === true) throw opts.signal.reason;
    if (!(e instanceof ProbeFailure)) throw e;
    const result = fail(elapsed(), e.code, clean(`${shown}: ${e.message}`));
    if (probe.server !== undefined) result.server = probe.server;
    return result;
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener("abort", onAbort);
    probe.close();
  }
}

function fail(ms: number, code: RtspProbeErrorCode, message: string): RtspProbeResult {
  return { ok: false, ms, error: { code, message } };
}

/** An RTSP URL fit for messages: no user info, no query. */
export function safeRtspUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

type Challenge = { scheme: "digest"; params: Record<string, string> } | { scheme: "basic" };

/** Every challenge of every WWW-Authenticate header; one header may carry several (RFC 7235 §4.1). */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) {
    for (const part of value.split(/,\s*(?=(?:Basic|Digest)(?:\s|$))/i)) {
      if (/^\s*Basic(\s|$)/i.test(part)) out.push({ scheme: "basic" });
      const digest = parseDigestChallenge(part);
      if (digest) out.push({ scheme: "digest", params: digest });
    }
  }
  return out;
}

/** The Authorization header for the best challenge offered, or undefined if none can be answered. */
function authorizationFor(
  challenges: readonly Challenge[],
  creds: { username: string; password: string },
  method: string,
  uri: string,
): { value: string; scheme: "digest" | "basic" } | undefined {
  for (const c of challenges) {
    if (c.scheme !== "digest") continue;
    const value = digestAuthorization(c.params, creds, method, uri);
    if (value !== undefined) return { value, scheme: "digest" };
  }
  if (challenges.some((c) => c.scheme === "basic")) {
    const token = Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64");
    return { value: `Basic ${token}`, scheme: "basic" };
  }
  return undefined;
}

/** One probe's connection and exchange; close() is safe at any time, from any path. */
class Probe {
  server: string | undefined;
  /** What the probe is waiting for, for the timeout's message. */
  stage = "the address check";
  private socket: Socket | undefined;
  private closed = false;
  private cseq = 0;
  /** The challenges the camera last sent: later requests answer them without waiting for a 401. */
  private challenges: Challenge[] | undefined;
  private received: Buffer = Buffer.alloc(0);
  private waiting:
    { resolve: (r: RtspReply) => void; reject: (e: ProbeFailure) => void; method: string } | undefined;
  private failure: ProbeFailure | undefined;

  constructor(
    /** The request URI, with any query credentials filled in. */
    private readonly requestUri: string,
    private readonly target: URL,
    private readonly creds: { username: string; password: string } | undefined,
    private readonly opts: RtspProbeOptions,
  ) {}

  async run(): Promise<{ video: NonNullable<RtspProbeResult["video"]>; server: string | undefined }> {
    await this.connect();
    const options = await this.exchange("OPTIONS", {});
    if (options.status !== 200) throw statusFailure("OPTIONS", options);
    const describe = await this.exchange("DESCRIBE", { Accept: "application/sdp" });
    if (describe.status !== 200) throw statusFailure("DESCRIBE", describe);
    const summary = parseSdp(describe.body.toString("utf8"));
    if (summary === undefined) {
      const type = header(describe, "content-type") ?? "no content type";
      throw new ProbeFailure("bad_reply", `DESCRIBE answered 200 with ${oneLine(type)}, not an SDP`);
    }
    if (summary.video === undefined) {
      const media = summary.media.length === 0 ? "no media" : `only ${summary.media.join(", ")}`;
      throw new ProbeFailure("no_video", `the stream description has no video (${media})`);
    }
    return { video: summary.video, server: this.server };
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private async connect(): Promise<void> {
    let address: string;
    try {
      address = await this.opts.network.resolve(this.target.hostname);
    } catch (e) {
      // Refused before anything is sent: the same answer whatever listens there.
      if (e instanceof AddressNotAllowedError) throw new ProbeFailure("not_allowed", e.message);
      if (e instanceof UnknownHostError) throw new ProbeFailure("unreachable", e.message);
      throw e;
    }
    if (this.closed) throw new ProbeFailure("timeout", "ended before connecting");
    this.stage = "the connection";
    const secure = this.target.protocol === "rtsps:";
    const port = this.target.port === "" ? (secure ? 322 : 554) : Number(this.target.port);
    const host = this.target.hostname.replace(/^\[(.*)\]$/, "$1");
    await new Promise<void>((resolve, reject) => {
      // rtsps: cameras carry self-signed certificates; like ffmpeg's tls protocol (tls_verify=0 by default)
      // the probe does not verify them. It proves the camera answers, not who it is.
      const socket = secure
        ? tls.connect({
            host: address,
            port,
            rejectUnauthorized: false,
            ...(net.isIP(host) === 0 && { servername: host }),
          })
        : net.connect({ host: address, port });
      this.socket = socket;
      let connected = false;
      socket.on("error", (e: NodeJS.ErrnoException) => {
        const failure = networkFailure(e, connected);
        if (!connected) reject(failure);
        this.fail(failure);
      });
      socket.on("close", () => {
        const failure = new ProbeFailure(
          "bad_reply",
          connected ? "the camera closed the connection mid-exchange" : "connection closed while connecting",
        );
        if (!connected) reject(failure);
        this.fail(failure);
      });
      socket.on("data", (chunk: Buffer) => {
        this.onData(chunk);
      });
      socket.once(secure ? "secureConnect" : "connect", () => {
        connected = true;
        socket.setNoDelay(true);
        resolve();
      });
    });
  }

  /** One request, answering a 401 once with the credentials, as the challenge asks for them. */
  private async exchange(method: string, extra: Record<string, string>): Promise<RtspReply> {
    // A challenge met on an earlier request is answered at once, as ffmpeg does: one round trip less.
    let auth =
      this.challenges && this.creds
        ? authorizationFor(this.challenges, this.creds, method, this.requestUri)
        : undefined;
    let retried = false;
    for (;;) {
      const reply = await this.request(method, {
        ...extra,
        ...(auth !== undefined && { Authorization: auth.value }),
      });
      if (reply.status !== 401) return reply;
      const offered = parseChallenges(reply.headers.get("www-authenticate") ?? []);
      this.challenges = offered;
      if (this.creds === undefined) {
        throw new ProbeFailure(
          "auth_failed",
          `${method} wants credentials (${schemesOf(offered)}) and the camera has none set`,
        );
      }
      // Credentials answered the challenge and were refused once already: the password is wrong, or the
      // camera answers everything 401. A first refusal of credentials sent ahead may be a stale nonce
      // (RFC 7616 §3.3), so that one is tried again with the fresh challenge.
      if (retried) {
        throw new ProbeFailure(
          "auth_failed",
          `${method} refused the credentials (${auth?.scheme ?? "none"})`,
        );
      }
      retried = true;
      auth = authorizationFor(offered, this.creds, method, this.requestUri);
      if (auth === undefined) {
        throw new ProbeFailure(
          "unsupported",
          `${method} wants an authentication Pantau cannot answer (${schemesOf(offered)})`,
        );
      }
    }
  }

  private request(method: string, headers: Record<string, string>): Promise<RtspReply> {
    if (this.failure) return Promise.reject(this.failure);
    const socket = this.socket;
    if (socket === undefined || this.closed) return Promise.reject(new ProbeFailure("timeout", "ended"));
    this.cseq++;
    this.stage = method;
    const lines = [
      `${method} ${this.requestUri} RTSP/1.0`,
      `CSeq: ${String(this.cseq)}`,
      `User-Agent: ${USER_AGENT}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    return new Promise<RtspReply>((resolve, reject) => {
      this.waiting = { resolve, reject, method };
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      // Bytes that came before the request (a server that speaks first speaks no RTSP) are read now.
      if (this.received.length > 0) this.pump();
    });
  }

  private fail(failure: ProbeFailure): void {
    this.failure ??= failure;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(this.failure);
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    if (this.waiting !== undefined) {
      this.pump();
    } else if (this.received.length > this.opts.maxReplyBytes) {
      this.fail(new ProbeFailure("too_large", `${String(this.received.length)} bytes nobody asked for`));
    }
  }

  private pump(): void {
    const w = this.waiting;
    if (w === undefined) return;
    let parsed: { reply: RtspReply; used: number } | undefined;
    try {
      parsed = parseReply(this.received, this.opts.maxReplyBytes, w.method);
    } catch (e) {
      if (e instanceof ProbeFailure) {
        this.fail(e);
        return;
      }
      throw e;
    }
    if (parsed === undefined) return;
    this.waiting = undefined;
    this.received = this.received.subarray(parsed.used);
    this.server ??= serverOf(parsed.reply);
    w.resolve(parsed.reply);
  }
}

function schemesOf(challenges: readonly Challenge[]): string {
  if (challenges.length === 0) return "no challenge";
  return [
    ...new Set(
      challenges.map((c) => (c.scheme === "digest" ? `Digest ${c.params.algorithm ?? "MD5"}` : "Basic")),
    ),
  ].join(", ");
}

function serverOf(reply: RtspReply): string | undefined {
  const s = header(reply, "server");
  return s === undefined ? undefined : oneLine(s).slice(0, 120);
}

// eslint-disable-next-line no-control-regex -- control characters are what it removes
const oneLine = (s: string) => s.replace(/[\x00-\x1f\x7f]+/g, " ").trim();

/**
 * A whole reply at the start of `data` and the bytes it took, or undefined while more is to come. Throws ProbeFailure for what
 * is not RTSP and for what is too large (RFC 2326 §7: status line, headers, blank line, Content-Length).
 */
export function parseReply(
  data: Buffer,
  maxBytes: number,
  method: string,
): { reply: RtspReply; used: number } | undefined {
  const prefix = "RTSP/";
  const head = data.subarray(0, prefix.length).toString("latin1");
  if (!prefix.startsWith(head) && !head.startsWith(prefix)) {
    throw new ProbeFailure("bad_reply", `${method} was answered with something that is not RTSP`);
  }
  let end = data.indexOf("\r\n\r\n");
  let sep = 4;
  if (end < 0) {
    // Some firmware ends lines with a bare LF.
    end = data.indexOf("\n\n");
    sep = 2;
  }
  if (end < 0) {
    if (data.length > maxBytes)
      throw new ProbeFailure("too_large", `${method} reply headers pass ${String(maxBytes)} bytes`);
    return undefined;
  }
  const [statusLine = "", ...lines] = data.subarray(0, end).toString("latin1").split(/\r?\n/);
  const m = /^RTSP\/1\.\d\s+(\d{3})(?:\s+(.*))?$/.exec(statusLine);
  if (!m) throw new ProbeFailure("bad_reply", `${method} reply has no RTSP status line`);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const lengthText = headers.get("content-length")?.[0] ?? "0";
  if (!/^\d{1,12}$/.test(lengthText))
    throw new ProbeFailure("bad_reply", `${method} reply has a bad Content-Length`);
  const length = Number(lengthText);
  const bodyStart = end + sep;
  if (bodyStart + length > maxBytes) {
    throw new ProbeFailure(
      "too_large",
      `${method} reply of ${String(bodyStart + length)} bytes passes ${String(maxBytes)}`,
    );
  }
  if (data.length < bodyStart + length) return undefined;
  const reply = {
    status: Number(m[1]),
    reason: oneLine(m[2] ?? ""),
    headers,
    body: data.subarray(bodyStart, bodyStart + length),
  };
  return { reply, used: bodyStart + length };
}

function statusFailure(method: string, reply: RtspReply): ProbeFailure {
  const said = `${method} answered ${String(reply.status)} ${reply.reason}`.trim();
  switch (reply.status) {
    case 404:
      return new ProbeFailure("not_found", `${said}: no stream at this path`);
    case 403:
      return new ProbeFailure("auth_failed", said);
    case 301:
    case 302:
    case 303:
    case 305:
      // Following it would connect where the network guard has not looked.
      return new ProbeFailure("unsupported", `${said}: the camera redirects elsewhere`);
    case 405:
    case 501:
    case 505:
    case 551:
      return new ProbeFailure("unsupported", said);
    default:
      return new ProbeFailure("bad_reply", said);
  }
}

function networkFailure(e: NodeJS.ErrnoException, connected: boolean): ProbeFailure {
  switch (e.code ?? "") {
    case "ECONNREFUSED":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "EADDRNOTAVAIL":
      return new ProbeFailure("unreachable", e.code ?? "unreachable");
    case "ETIMEDOUT":
      return new ProbeFailure("timeout", e.code ?? "timeout");
    case "ECONNRESET":
    case "EPIPE":
      return new ProbeFailure(connected ? "bad_reply" : "unreachable", `connection reset (${e.code ?? ""})`);
    default:
      // Something answers, but not in TLS (a plain RTSP port behind rtsps://) or in a TLS we cannot speak.
      if (e.code === "EPROTO" || /^ERR_(SSL|TLS)_/.test(e.code ?? ""))
        return new ProbeFailure("bad_reply", `TLS handshake failed (${e.code ?? ""})`);
      return new ProbeFailure(connected ? "bad_reply" : "unreachable", e.code ?? e.message);
  }
}
