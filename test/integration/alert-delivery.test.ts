import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../../gateway/src/alerts/alert.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * An HTTP receiver on 127.0.0.1: `answer(n)` decides the status of the n-th request (1-based), or "hang" to
 * never answer it (the connection stays open until the receiver closes).
 */
async function receiver(answer: (n: number, path: string) => number | "hang") {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(r);
      const status = answer(received.length, r.path);
      if (status === "hang") hanging.push(res);
      else res.writeHead(status, { "content-type": "application/json" }).end('{"ok": true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    received,
    hanging,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A real SMTP server on 127.0.0.1 (no TLS, no auth), keeping each message's envelope and raw text. */
async function smtpReceiver() {
  const mails: { to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The text of a quoted-printable body (RFC 2045 §6.7), as nodemailer writes non-ASCII text. */
function decodeQuotedPrintable(s: string): string {
  const bytes = s
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

const secret = "webhook-secret-0123456789";
const botToken = "123456:ABCdefGhIJKlmnoPQRstuVWXyz012345";
const badToken = "999999:ZZZdefGhIJKlmnoPQRstuVWXyz012345";
const logLines: string[] = [];

let gw: TestGateway;
let hook: Awaited<ReturnType<typeof receiver>>;
let dead: Awaited<ReturnType<typeof receiver>>;
let healthy: Awaited<ReturnType<typeof receiver>>;
let telegram: Awaited<ReturnType<typeof receiver>>;
let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
const schools: Record<string, string> = {};
const cameras: Record<string, string> = {};

beforeAll(async () => {
  // The first request fails (500): the retry is what delivers it.
  hook = await receiver((n) => (n === 1 ? 500 : 200));
  dead = await receiver(() => "hang");
  healthy = await receiver(() => 204);
  telegram = await receiver((_n, path) => (path.includes("999999") ? 401 : 200));
  smtp = await smtpReceiver();
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    }),
  );
  gw = await startTestGateway(
    {
      alerts: {
        groupSeconds: 0.3,
        retry: { attempts: 2, firstDelaySeconds: 0.1, maxDelaySeconds: 0.5 },
        timeoutSeconds: 2,
        telegramApiUrl: telegram.url,
        smtp: { host: "127.0.0.1", port: smtp.port, secure: false, from: "Pantau <pantau@test.local>" },
      },
    },
    { log },
  );
  for (const name of ["SD Kemiri", "SD Waru", "SD Jati", "SD Asem"]) {
    const s = (await gw.admin.expect(201, "POST", "/api/schools", { name })) as { id: string };
    schools[name] = s.id;
  }
  for (const name of ["Kelas 1A", "Kelas 2B"]) {
    const c = (await gw.admin.expect(201, "POST", "/api/cameras", {
      schoolId: schools["SD Kemiri"],
      name,
      source: { kind: "test-pattern" },
    })) as { id: string };
    cameras[name] = c.id;
  }
});

afterAll(async () => {
  await gw.close();
  await Promise.all([hook.close(), dead.close(), healthy.close(), telegram.close(), smtp.close()]);
});

const offline = (school: string, camera: string, cameraId = `cam_${camera}`): Alert => ({
  kind: "offline",
  schoolId: schools[school]!,
  schoolName: school,
  cameraId: cameras[camera] ?? cameraId,
  cameraName: camera,
  at: Date.now(),
  since: Date.now() - 120_000,
  reason: "RTSP DESCRIBE timed out",
});

async function auditOf(channelId: string, action: string) {
  const r = (await gw.admin.expect(200, "GET", "/api/audit?action=alert&limit=1000")) as {
    events: { action: string; target: { id: string | null }; detail: Record<string, unknown> }[];
  };
  return r.events.filter((e) => e.action === action && e.target.id === channelId);
}

describe("alert delivery, to real receivers", () => {
  it("a webhook that fails first gets the grouped message again; the receiver verifies its HMAC; audited with 2 attempts", async () => {
    const ch = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: `${hook.url}/hooks/pantau-x1`,
      secret,
      schoolId: schools["SD Kemiri"],
    })) as { id: string };
    gw.alerts.raise(offline("SD Kemiri", "Kelas 1A"));
    gw.alerts.raise(offline("SD Kemiri", "Kelas 2B"));
    await waitFor("the retried webhook", () => hook.received.length >= 2);
    const [first, second] = hook.received;
    expect(second!.path).toBe("/hooks/pantau-x1");
    expect(second!.body).toBe(first!.body);
    // What a receiver does: recompute the HMAC of the raw body with the shared secret.
    const expected = "sha256=" + createHmac("sha256", secret).update(second!.body).digest("hex");
    expect(second!.headers["x-pantau-signature"]).toBe(expected);
    expect(second!.headers["x-pantau-timestamp"]).toMatch(/^\d{10}$/);
    const body = JSON.parse(second!.body) as {
      alerts: { kind: string; cameraId: string; cameraName: string; since: string }[];
      school: { id: string; name: string };
      text: { id: string; en: string };
      sentAt: string;
    };
    expect(body.school).toEqual({ id: schools["SD Kemiri"], name: "SD Kemiri" });
    expect(body.alerts.map((a) => [a.kind, a.cameraId, a.cameraName])).toEqual([
      ["offline", cameras["Kelas 1A"], "Kelas 1A"],
      ["offline", cameras["Kelas 2B"], "Kelas 2B"],
    ]);
    expect(body.text.id).toContain('Kamera "Kelas 1A" (SD Kemiri) mati (offline)');
    expect(body.text.en).toContain('Camera "Kelas 2B" (SD Kemiri) is offline');
    expect(
      Math.abs(Date.parse(body.sentAt) / 1000 - Number(second!.headers["x-pantau-timestamp"])),
    ).toBeLessThan(1);
    const delivered = await waitFor("the delivery in the audit", async () => {
      const rows = await auditOf(ch.id, "alert.delivered");
      return rows.length > 0 && rows;
    });
    expect(delivered.map((e) => e.detail)).toEqual([{ kind: "webhook", attempts: 2 }]);
    expect(hook.received).toHaveLength(2);
  });

  it("a webhook that never answers does not delay a healthy one; it fails after its attempts, audited", async () => {
    const d = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: `${dead.url}/never`,
      secret,
      schoolId: schools["SD Waru"],
      name: "Dead receiver",
    })) as { id: string };
    const h = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: `${healthy.url}/ok`,
      secret,
      schoolId: schools["SD Waru"],
    })) as { id: string };
    gw.alerts.raise(offline("SD Waru", "Lab"));
    await waitFor("the healthy webhook", () => healthy.received.length === 1);
    // The dead one has the same message, unanswered, on its first attempt: the healthy one did not wait.
    await waitFor("the dead webhook's first request", () => dead.received.length === 1);
    expect(dead.hanging).toHaveLength(1);
    expect(await auditOf(d.id, "alert.failed")).toEqual([]);
    await waitFor(
      "the healthy delivery in the audit",
      async () => (await auditOf(h.id, "alert.delivered")).length === 1,
    );
    const failed = await waitFor("the dead channel's failure", async () => {
      const rows = await auditOf(d.id, "alert.failed");
      return rows.length > 0 && rows;
    });
    expect(failed.map((e) => e.detail)).toEqual([{ kind: "webhook", attempts: 2, error: "timed out" }]);
    expect(dead.received).toHaveLength(2);
  });

  it("e-mail goes over SMTP to the addresses, in Bahasa Indonesia first and English below", async () => {
    await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "email",
      to: ["tu@sdjati.sch.id", "kepala@sdjati.sch.id"],
      schoolId: schools["SD Jati"],
    });
    gw.alerts.raise(offline("SD Jati", "Kelas 3C"));
    const mail = await waitFor("the e-mail", () => smtp.mails[0]);
    expect(mail.to).toEqual(["tu@sdjati.sch.id", "kepala@sdjati.sch.id"]);
    expect(mail.raw).toMatch(/^Subject: \[Pantau\] SD Jati: Kamera mati \/ Camera offline\r?$/m);
    expect(mail.raw).toMatch(/^From: Pantau <pantau@test\.local>\r?$/m);
    const text = decodeQuotedPrintable(mail.raw.slice(mail.raw.search(/\r?\n\r?\n/)));
    const id = text.indexOf('Kamera "Kelas 3C" (SD Jati) mati (offline)');
    const en = text.indexOf('Camera "Kelas 3C" (SD Jati) is offline');
    expect(id).toBeGreaterThan(-1);
    expect(en).toBeGreaterThan(id);
  });

  it("Telegram: POST <api>/bot<token>/sendMessage {chat_id, text} with both languages; a refused token is 502, never shown", async () => {
    const ch = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "telegram",
      chatId: "-1001234567890",
      botToken,
      schoolId: schools["SD Asem"],
    })) as { id: string };
    gw.alerts.raise(offline("SD Asem", "Kelas 4D"));
    await waitFor("the Telegram message", () => telegram.received.length === 1);
    const [msg] = telegram.received;
    expect(msg!.path).toBe(`/bot${botToken}/sendMessage`);
    const body = JSON.parse(msg!.body) as { chat_id: string; text: string };
    expect(body.chat_id).toBe("-1001234567890");
    expect(body.text.indexOf("mati (offline)")).toBeGreaterThan(-1);
    expect(body.text.indexOf("is offline")).toBeGreaterThan(body.text.indexOf("mati (offline)"));
    await waitFor(
      "the delivery in the audit",
      async () => (await auditOf(ch.id, "alert.delivered")).length === 1,
    );

    const bad = (await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "telegram",
      chatId: 42,
      botToken: badToken,
      schoolId: schools["SD Asem"],
    })) as { id: string };
    const r = await gw.admin.post(`/api/alert-channels/${bad.id}/test`);
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe("delivery_failed");
    expect(r.body.error.message).toContain("answered 401");
    expect(r.text).not.toContain("999999");
    expect((await auditOf(bad.id, "alert.failed")).map((e) => e.detail)).toEqual([
      { kind: "telegram", test: true, attempts: 1, error: `${telegram.url} answered 401` },
    ]);
  });

  it("POST /api/alert-channels/:id/test sends a test message now, signed like any other", async () => {
    const before = healthy.received.length;
    const h = (await gw.admin.expect(200, "GET", "/api/alert-channels")) as {
      channels: { id: string; config: { url?: string } }[];
    };
    const ch = h.channels.find((c) => c.config.url === `${healthy.url}/ok`)!;
    expect(await gw.admin.expect(200, "POST", `/api/alert-channels/${ch.id}/test`)).toEqual({
      delivered: true,
      attempts: 1,
    });
    expect(healthy.received).toHaveLength(before + 1);
    const sent = healthy.received.at(-1)!;
    expect(sent.headers["x-pantau-signature"]).toBe(
      "sha256=" + createHmac("sha256", secret).update(sent.body).digest("hex"),
    );
    const body = JSON.parse(sent.body) as { alerts: { kind: string }[]; text: { id: string; en: string } };
    expect(body.alerts.map((a) => a.kind)).toEqual(["test"]);
    expect(body.text.id).toContain("Pesan uji dari Pantau untuk SD Waru");
    expect(body.text.en).toContain("Test message from Pantau for SD Waru");
  });

  it("a muted camera's alert is held back (the gateway's Suppressions); the school's other camera is sent", async () => {
    await gw.admin.expect(201, "POST", "/api/alert-channels", {
      kind: "webhook",
      url: `${healthy.url}/kemiri-mute`,
      secret,
      schoolId: schools["SD Kemiri"],
    });
    await gw.admin.expect(201, "POST", `/api/cameras/${cameras["Kelas 1A"]!}/mute`, { reason: "Diganti" });
    const before = healthy.received.length;
    gw.alerts.raise(offline("SD Kemiri", "Kelas 1A"));
    gw.alerts.raise(offline("SD Kemiri", "Kelas 2B"));
    await waitFor("the unmuted camera's alert", () => healthy.received.length > before);
    const sent = healthy.received.at(-1)!;
    expect(sent.path).toBe("/kemiri-mute");
    const body = JSON.parse(sent.body) as { alerts: { cameraId: string }[] };
    expect(body.alerts.map((a) => a.cameraId)).toEqual([cameras["Kelas 2B"]]);
  });

  it("no secret reaches the log or the audit log", async () => {
    const audit = (await gw.admin.expect(200, "GET", "/api/audit?limit=1000")) as unknown;
    const all = JSON.stringify(audit) + logLines.join("");
    expect(logLines.some((l) => l.includes("[alerts]"))).toBe(true);
    for (const s of [secret, botToken, badToken, "pantau-x1"]) expect(all).not.toContain(s);
  });
});
