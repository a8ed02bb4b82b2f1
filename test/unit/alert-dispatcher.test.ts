import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { alertText, durationText, messageText, type Alert } from "../../gateway/src/alerts/alert.js";
import type { AlertChannel } from "../../gateway/src/alerts/alert-channel.js";
import {
  AlertDispatcher,
  retryDelay,
  type AlertDispatcherOptions,
} from "../../gateway/src/alerts/alert-dispatcher.js";
import { DeliveryError, type AlertMessage, type AlertSender } from "../../gateway/src/alerts/alert-sender.js";
import { receiverRefusal } from "../../gateway/src/alerts/receiver-address.js";
import type { Actor } from "../../gateway/src/audit/audit.repository.js";
import { parseConfig } from "../../gateway/src/config/load-config.js";
import { FakeClock } from "../helpers/fake-clock.js";

const t0 = Date.parse("2026-12-03T08:00:00+07:00");
const minute = 60_000;
const hour = 60 * minute;

interface Sent {
  channelId: string;
  message: AlertMessage;
  at: number;
}

/** A channel kind whose receiver the test scripts: answer each attempt with ok, fail, or never. */
class FakeSender implements AlertSender {
  readonly sent: Sent[] = [];
  readonly attempts: { channelId: string; at: number }[] = [];
  /** Per channel: what the next attempts do, in order; after the script, "ok". */
  readonly script = new Map<string, ("ok" | "fail" | "hang" | "leak")[]>();

  constructor(private readonly clock: FakeClock) {}

  send(channel: AlertChannel, message: AlertMessage, signal: AbortSignal): Promise<void> {
    this.attempts.push({ channelId: channel.id, at: this.clock.now() });
    const step = this.script.get(channel.id)?.shift() ?? "ok";
    if (step === "ok") {
      this.sent.push({ channelId: channel.id, message, at: this.clock.now() });
      return Promise.resolve();
    }
    if (step === "fail") return Promise.reject(new DeliveryError("receiver answered 500"));
    if (step === "leak") return Promise.reject(new DeliveryError(`bad token ${channel.secret ?? ""}`));
    return new Promise((_, reject) => {
      signal.addEventListener("abort", () => {
        reject(new DeliveryError("aborted"));
      });
    });
  }
}

const channel = (id: string, schoolId: string | null, secret = "s3cret-webhook-key"): AlertChannel => ({
  id,
  schoolId,
  name: id,
  config: { kind: "webhook", url: `http://127.0.0.1/${id}` },
  secret,
  enabled: true,
  createdAt: "",
});

const opts: AlertDispatcherOptions = {
  groupMs: 30_000,
  reminderMs: [hour, 24 * hour],
  retry: { attempts: 4, firstDelayMs: 1000, maxDelayMs: 3000 },
  timeoutMs: 10_000,
  queueLimit: 10,
  random: () => 1,
};

const offline = (cameraId: string, at = t0, schoolId = "sch_a"): Alert => ({
  kind: "offline",
  schoolId,
  schoolName: schoolId === "sch_a" ? "SD Negeri 1" : "SD Negeri 2",
  cameraId,
  cameraName: `Kamera ${cameraId}`,
  at,
  since: at - 2 * minute,
  reason: "no RTSP answer",
});

let dispatcher: AlertDispatcher | undefined;

function setup(channels: AlertChannel[], o: Partial<AlertDispatcherOptions> = {}) {
  const clock = new FakeClock(t0);
  const sender = new FakeSender(clock);
  const audit: {
    actor: Actor;
    schoolId: string | null;
    action: string;
    targetId?: string;
    detail?: Record<string, unknown>;
  }[] = [];
  const list = [...channels];
  dispatcher = new AlertDispatcher(
    {
      forSchool: (s) => list.filter((c) => c.enabled && (c.schoolId === s || c.schoolId === null)),
      get: (id) => list.find((c) => c.id === id),
    },
    { webhook: sender, email: sender, telegram: sender },
    { record: (e) => audit.push(e) },
    clock,
    pino({ level: "silent" }),
    { ...opts, ...o },
  );
  const d = dispatcher;
  /** Moves the fake clock in steps, letting the deliveries' promises run between them. */
  const run = async (ms: number, step = 100) => {
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done));
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    }
  };
  return { clock, sender, audit, d, run, list };
}

afterEach(() => {
  dispatcher?.close();
  dispatcher = undefined;
});

describe("AlertDispatcher", () => {
  it("groups one school's alerts raised within groupSeconds into one message per channel; all-school channels get every school's", async () => {
    const { d, sender, run } = setup([channel("alc_a", "sch_a"), channel("alc_all", null)]);
    d.raise(offline("cam_1"));
    await run(10_000);
    d.raise(offline("cam_2", t0 + 10_000));
    d.raise(offline("cam_9", t0 + 10_000, "sch_b"));
    expect(sender.sent).toEqual([]);
    await run(20_000);
    const bySchool = sender.sent.map((s) => [
      s.channelId,
      s.message.school.id,
      s.message.alerts.map((a) => a.cameraId),
    ]);
    expect(bySchool).toEqual([
      ["alc_a", "sch_a", ["cam_1", "cam_2"]],
      ["alc_all", "sch_a", ["cam_1", "cam_2"]],
    ]);
    await run(10_000);
    expect(sender.sent.slice(2).map((s) => [s.channelId, s.message.school.id])).toEqual([
      ["alc_all", "sch_b"],
    ]);
  });

  it("retries a failing channel with capped exponential backoff and audits the delivery with its attempt count", async () => {
    const { d, sender, audit, run } = setup([channel("alc_a", "sch_a")]);
    sender.script.set("alc_a", ["fail", "fail", "fail"]);
    d.raise(offline("cam_1"));
    await run(60_000);
    const first = t0 + 30_000;
    // random() = 1: the full delay, 1 s, 2 s, then capped at 3 s.
    expect(sender.attempts.map((a) => a.at - first)).toEqual([0, 1000, 3000, 6000]);
    expect(sender.sent).toHaveLength(1);
    const delivered = audit.filter((e) => e.action === "alert.delivered");
    expect(delivered).toEqual([
      {
        actor: { kind: "system", id: null, name: "Pantau" },
        schoolId: "sch_a",
        action: "alert.delivered",
        targetKind: "alert_channel",
        targetId: "alc_a",
        detail: { kind: "webhook", attempts: 4 },
      },
    ]);
    expect(audit.find((e) => e.action === "alert.raised")?.detail).toEqual({
      alerts: [{ kind: "offline", cameraId: "cam_1" }],
      channels: ["alc_a"],
    });
  });

  it("gives up after the last attempt: alert.failed with the attempts and the error, the secret blanked", async () => {
    const { d, sender, audit, run } = setup([channel("alc_a", "sch_a", "tok-123456789")]);
    sender.script.set("alc_a", ["leak", "leak", "leak", "leak", "ok"]);
    d.raise(offline("cam_1"));
    await run(60_000);
    expect(sender.attempts).toHaveLength(4);
    expect(sender.sent).toEqual([]);
    const failed = audit.filter((e) => e.action === "alert.failed");
    expect(failed.map((e) => e.detail)).toEqual([
      { kind: "webhook", attempts: 4, error: "bad token [redacted]" },
    ]);
    expect(JSON.stringify(audit)).not.toContain("tok-123456789");
    expect(d.pending).toBe(0);
  });

  it("a channel that never answers delays no other channel; it times out and is retried", async () => {
    const { d, sender, audit, run } = setup([channel("alc_dead", "sch_a"), channel("alc_ok", "sch_a")], {
      groupMs: 1000,
    });
    sender.script.set("alc_dead", ["hang", "ok"]);
    d.raise(offline("cam_1"));
    d.raise(offline("cam_2"));
    await run(1000);
    d.raise(offline("cam_3", t0 + 1000));
    await run(1000);
    // The healthy channel took both messages while the dead one was still on its first attempt.
    expect(sender.sent.map((s) => s.channelId)).toEqual(["alc_ok", "alc_ok"]);
    expect(sender.attempts.filter((a) => a.channelId === "alc_dead").map((a) => a.at - t0)).toEqual([1000]);
    expect(audit.filter((e) => e.action === "alert.delivered")).toHaveLength(2);
    await run(30_000);
    // Timed out after 10 s, retried 1 s later: then its two messages, in order.
    expect(sender.attempts.filter((a) => a.channelId === "alc_dead").map((a) => a.at - t0)).toEqual([
      1000, 12_000, 12_000,
    ]);
    expect(sender.sent.filter((s) => s.channelId === "alc_dead").map((s) => s.message.alerts.length)).toEqual(
      [2, 1],
    );
  });

  it("an offline camera is reminded of after 1 h and 1 day, in both languages, with the outage's start", async () => {
    const { d, sender, run } = setup([channel("alc_a", "sch_a")]);
    d.raise(offline("cam_1"));
    await run(25 * hour, minute);
    const kinds = sender.sent.map((s) => [s.message.alerts[0]?.kind, s.at - t0]);
    expect(kinds).toEqual([
      ["offline", 30_000],
      ["reminder", hour + 30_000],
      ["reminder", 24 * hour + 30_000],
    ]);
    const reminder = sender.sent[1]!.message;
    expect(reminder.alerts[0]?.since).toBe(t0 - 2 * minute);
    expect(reminder.text.id).toContain("masih mati");
    expect(reminder.text.id).toContain("1 jam 2 menit");
    expect(reminder.text.en).toContain("still offline");
  });

  it("a recovery cancels the camera's reminders, and only that camera's", async () => {
    const { d, sender, run } = setup([channel("alc_a", "sch_a")]);
    d.raise(offline("cam_1"));
    d.raise(offline("cam_2"));
    await run(30 * minute, minute);
    d.raise({ ...offline("cam_1", t0 + 30 * minute), kind: "recovery", since: t0 - 2 * minute });
    await run(25 * hour, minute);
    const seen = sender.sent.flatMap((s) => s.message.alerts.map((a) => `${a.kind} ${a.cameraId ?? ""}`));
    expect(seen).toEqual([
      "offline cam_1",
      "offline cam_2",
      "recovery cam_1",
      "reminder cam_2",
      "reminder cam_2",
    ]);
  });

  it("a channel switched off or removed while its message waits gets no more attempts", async () => {
    const { d, sender, audit, run, list } = setup([channel("alc_a", "sch_a"), channel("alc_b", "sch_a")]);
    sender.script.set("alc_a", ["fail", "fail"]);
    sender.script.set("alc_b", ["fail", "fail"]);
    d.raise(offline("cam_1"));
    await run(30_000);
    list[0]!.enabled = false;
    list.splice(1, 1);
    await run(60_000);
    expect(sender.attempts.map((a) => a.channelId)).toEqual(["alc_a", "alc_b"]);
    expect(audit.filter((e) => e.action !== "alert.raised")).toEqual([]);
    expect(d.pending).toBe(0);
  });

  it("a removed camera is reminded of no more", async () => {
    const { d, sender, run } = setup([channel("alc_a", "sch_a")]);
    d.raise(offline("cam_1"));
    await run(minute);
    d.forgetCamera("cam_1");
    await run(25 * hour, minute);
    expect(sender.sent.map((s) => s.message.alerts[0]?.kind)).toEqual(["offline"]);
  });

  it("suppressed alerts are not sent, nor the recovery of an outage nobody heard of; a reminder after the mute is", async () => {
    const { d, sender, run } = setup([channel("alc_a", "sch_a")]);
    let muted = true;
    d.useSuppression({
      suppressed: (_s, camera, at) => muted && camera === "cam_1" && at < t0 + 30 * minute,
    });
    d.raise(offline("cam_1"));
    d.raise({ ...offline("cam_1", t0 + 10 * minute), kind: "recovery" });
    await run(minute);
    expect(sender.sent).toEqual([]);
    d.raise(offline("cam_1", t0 + 20 * minute));
    muted = false;
    await run(2 * hour, minute);
    expect(sender.sent.flatMap((s) => s.message.alerts.map((a) => a.kind))).toEqual(["reminder"]);
  });

  it("holds a school's camera alerts while its gateway is unreachable, and drops an outage that ended meanwhile", async () => {
    const { d, sender, run } = setup([channel("alc_a", "sch_a")]);
    let reachable = false;
    d.useReachability({ schoolReachable: () => reachable });
    d.raise(offline("cam_1"));
    d.raise(offline("cam_2"));
    d.raise({
      kind: "drift",
      schoolId: "sch_a",
      schoolName: "SD Negeri 1",
      at: t0,
      reason: "edge restarted",
    });
    await run(2 * minute);
    expect(sender.sent.map((s) => s.message.alerts.map((a) => a.kind))).toEqual([["drift"]]);
    d.raise({ ...offline("cam_1", t0 + 2 * minute), kind: "recovery" });
    reachable = true;
    await run(minute);
    expect(
      sender.sent.slice(1).map((s) => s.message.alerts.map((a) => `${a.kind} ${a.cameraId ?? ""}`)),
    ).toEqual([["offline cam_2"]]);
  });

  it("raise() never throws, even when suppression or the channel list fails", async () => {
    const { d, run, clock } = setup([]);
    d.useSuppression({
      suppressed: () => {
        throw new Error("mute table gone");
      },
    });
    expect(() => {
      d.raise(offline("cam_1"));
    }).not.toThrow();
    d.useSuppression({ suppressed: () => false });
    const broken = new AlertDispatcher(
      {
        forSchool: () => {
          throw new Error("database closed");
        },
        get: () => undefined,
      },
      { webhook: new FakeSender(clock), email: new FakeSender(clock), telegram: new FakeSender(clock) },
      { record: () => undefined },
      clock,
      pino({ level: "silent" }),
      opts,
    );
    broken.raise(offline("cam_1"));
    await run(60_000);
    expect(broken.pending).toBe(0);
    broken.close();
  });

  it("a full queue drops its oldest message, audited as failed", async () => {
    const { d, sender, audit, run } = setup([channel("alc_a", "sch_a")], { queueLimit: 1, groupMs: 0 });
    sender.script.set("alc_a", ["hang"]);
    d.raise(offline("cam_1"));
    await run(100);
    d.raise(offline("cam_2"));
    await run(100);
    d.raise(offline("cam_3"));
    await run(100);
    expect(audit.filter((e) => e.action === "alert.failed").map((e) => e.detail)).toEqual([
      { attempts: 0, error: "queue full" },
    ]);
    await run(20_000);
    expect(sender.sent.map((s) => s.message.alerts[0]?.cameraId)).toEqual(["cam_1", "cam_3"]);
  });

  it("close() cancels pending groups, reminders and retries", async () => {
    const { d, sender, clock, run } = setup([channel("alc_a", "sch_a")]);
    sender.script.set("alc_a", ["fail"]);
    d.raise(offline("cam_1"));
    await run(30_000);
    expect(sender.attempts).toHaveLength(1);
    d.raise(offline("cam_2", t0 + 30_000));
    d.close();
    await run(2 * 24 * hour, hour);
    expect(sender.attempts).toHaveLength(1);
    expect(clock.pending).toBe(0);
    d.raise(offline("cam_3"));
    expect(clock.pending).toBe(0);
  });

  it("retryDelay: doubling from the first delay, capped, jittered between half and all of it", () => {
    const retry = { attempts: 10, firstDelayMs: 1000, maxDelayMs: 5000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, retry, () => 1))).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3].map((n) => retryDelay(n, retry, () => 0))).toEqual([500, 1000, 2000]);
  });
});

describe("alert text", () => {
  const a = offline("cam_1");
  it("says each alert in Bahasa Indonesia and in English, with the school's time", () => {
    expect(alertText(a, "id")).toBe(
      '🔴 Kamera "Kamera cam_1" (SD Negeri 1) mati (offline) sejak 3 Des 2026, 07.58 WIB. Penyebab: no RTSP answer.',
    );
    expect(alertText(a, "en")).toBe(
      '🔴 Camera "Kamera cam_1" (SD Negeri 1) is offline since 3 Dec 2026, 07:58 GMT+7. Reason: no RTSP answer.',
    );
    const back: Alert = { ...a, kind: "recovery", at: a.at + 3 * hour };
    expect(alertText(back, "id")).toContain(
      "kembali online pukul 3 Des 2026, 11.00 WIB, setelah mati 3 jam 2 menit",
    );
    expect(alertText(back, "en")).toContain(
      "back online at 3 Dec 2026, 11:00 GMT+7, after 3 h 2 min offline",
    );
  });

  it("a group has a heading and a line per alert; durations read naturally", () => {
    const text = messageText("SD Negeri 1", [a, offline("cam_2")]);
    expect(text.id.split("\n")[0]).toBe("Pantau — SD Negeri 1: 2 peringatan");
    expect(text.en.split("\n")[0]).toBe("Pantau — SD Negeri 1: 2 alerts");
    expect(text.id.split("\n")).toHaveLength(3);
    expect(durationText(30_000, "id")).toBe("< 1 menit");
    expect(durationText(26 * hour + 5 * minute, "en")).toBe("1 d 2 h 5 min");
  });
});

describe("alert settings", () => {
  it("have defaults and PANTAU_ALERTS_… overrides; an SMTP server without a sender names the field", () => {
    const d = parseConfig({});
    expect(d.alerts).toMatchObject({
      telegramApiUrl: "https://api.telegram.org",
      groupSeconds: 30,
      reminderMinutes: [60, 1440],
      retry: { attempts: 6, firstDelaySeconds: 5, maxDelaySeconds: 300 },
      timeoutSeconds: 10,
    });
    expect(d.alerts.smtp).toBeUndefined();
    const c = parseConfig(
      {},
      {
        PANTAU_ALERTS_SMTP_HOST: "mail.kab.go.id",
        PANTAU_ALERTS_SMTP_FROM: "Pantau <pantau@kab.go.id>",
        PANTAU_ALERTS_SMTP_PORT: "465",
        PANTAU_ALERTS_SMTP_SECURE: "1",
        PANTAU_ALERTS_GROUP_SECONDS: "5",
        PANTAU_ALERTS_RETRY_ATTEMPTS: "3",
        PANTAU_ALERTS_TELEGRAM_API_URL: "http://127.0.0.1:9999",
      },
    );
    expect(c.alerts.smtp).toEqual({
      host: "mail.kab.go.id",
      port: 465,
      secure: true,
      from: "Pantau <pantau@kab.go.id>",
    });
    expect([c.alerts.groupSeconds, c.alerts.retry.attempts, c.alerts.telegramApiUrl]).toEqual([
      5,
      3,
      "http://127.0.0.1:9999",
    ]);
    expect(() => parseConfig({}, { PANTAU_ALERTS_SMTP_HOST: "mail" })).toThrow(
      /alerts\.smtp\.from \(PANTAU_ALERTS_SMTP_FROM\)/,
    );
    expect(() => parseConfig({ alerts: { telegramApiUrl: "file:///etc" } })).toThrow(
      /alerts\.telegramApiUrl/,
    );
  });
});

describe("receiver addresses", () => {
  it("anywhere a receiver may run, never link-local, metadata, multicast, broadcast or unspecified", () => {
    const table: [string, string | undefined][] = [
      ["203.0.113.9", undefined],
      ["10.1.2.3", undefined],
      ["127.0.0.1", undefined],
      ["::1", undefined],
      ["2001:db8::1", undefined],
      ["169.254.169.254", "metadata"],
      ["169.254.10.1", "link_local"],
      ["fe80::1", "link_local"],
      ["fd00:ec2::254", "metadata"],
      ["224.0.0.251", "multicast"],
      ["255.255.255.255", "broadcast"],
      ["0.0.0.0", "unspecified"],
      ["::ffff:169.254.169.254", "metadata"],
    ];
    expect(table.map(([a]) => [a, receiverRefusal(a)])).toEqual(table);
  });
});
