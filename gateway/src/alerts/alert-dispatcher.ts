import { systemActor, type Actor, type AuditRepository } from "../audit/audit.repository.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import { contextLogger, type Logger } from "../log/logger.js";
import { messageText, subjectText, type Alert } from "./alert.js";
import type { AlertChannel, AlertChannelKind } from "./alert-channel.js";
import { redact, type AlertMessage, type AlertSender } from "./alert-sender.js";

/** Mute per camera and maintenance windows (written elsewhere): an alert suppressed here is not sent. */
export interface AlertSuppression {
  suppressed(schoolId: string, cameraId: string | undefined, at: number): boolean;
}

/** Whether a school's gateway is reachable (the fleet issue); while it is not, its camera alerts wait. */
export interface SchoolReachability {
  schoolReachable(schoolId: string): boolean;
}

/** Where a school's alerts go: its own enabled channels and those for every school. */
export interface AlertChannelSource {
  forSchool(schoolId: string): AlertChannel[];
  get(id: string): AlertChannel | undefined;
}

export interface AlertDispatcherOptions {
  /** A school's alerts raised within this long go out as one message per channel. */
  groupMs: number;
  /** Reminders after an `offline` while the camera stays offline, counted from the offline alert. */
  reminderMs: readonly number[];
  retry: { attempts: number; firstDelayMs: number; maxDelayMs: number };
  /** One delivery attempt may take this long. */
  timeoutMs: number;
  /** Messages waiting per channel; beyond that the oldest is dropped (and audited as failed). */
  queueLimit: number;
  /** Jitter source in [0, 1); tests pass a constant. */
  random?: () => number;
}

/** The result of a test message: delivered, or why not (never a secret). */
export interface DeliveryOutcome {
  delivered: boolean;
  attempts: number;
  error?: string;
}

const noSuppression: AlertSuppression = { suppressed: () => false };
const alwaysReachable: SchoolReachability = { schoolReachable: () => true };
/** Alerts kept per school while it is held back (unreachable); the oldest go first. */
const maxHeldPerSchool = 1000;

interface Group {
  schoolId: string;
  schoolName: string;
  alerts: Alert[];
  timer: TimerHandle;
  /** Held back once already because the school was unreachable. */
  held: boolean;
}

interface Job {
  channelId: string;
  message: AlertMessage;
}

/** The delay before retry `attempt + 1`: exponential from firstDelayMs, capped, with equal jitter (½–1×). */
export function retryDelay(
  attempt: number,
  retry: AlertDispatcherOptions["retry"],
  random: () => number,
): number {
  const base = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + (base / 2) * random());
}

/**
 * Takes alerts from the health monitor and gets them to people. raise() never blocks and never throws: a
 * school's alerts are grouped for `groupMs` into one message per channel; each channel has its own bounded
 * queue, worked one message at a time with retries (exponential, jittered, capped), so a slow or dead
 * channel delays nobody else's. An `offline` schedules reminders while the camera stays offline; its
 * `recovery` cancels them. Every delivery (and every failure) is in the audit log, as the system.
 */
export class AlertDispatcher {
  private readonly log: Logger;
  private readonly groups = new Map<string, Group>();
  private readonly reminders = new Map<string, TimerHandle[]>();
  /** Cameras whose `offline` was suppressed: their `recovery` is not news to anyone. */
  private readonly unannounced = new Set<string>();
  private readonly queues = new Map<string, Job[]>();
  private readonly busy = new Set<string>();
  private readonly sleeping = new Map<TimerHandle, () => void>();
  private readonly inFlight = new Set<AbortController>();
  private suppression: AlertSuppression = noSuppression;
  private reachability: SchoolReachability = alwaysReachable;
  private closed = false;

  constructor(
    private readonly channels: AlertChannelSource,
    private readonly senders: Readonly<Record<AlertChannelKind, AlertSender>>,
    private readonly audit: Pick<AuditRepository, "record">,
    private readonly clock: Clock,
    log: Logger,
    private readonly opts: AlertDispatcherOptions,
  ) {
    this.log = contextLogger(log, "alerts");
  }

  /** Mute and maintenance windows; default: nothing is suppressed. */
  useSuppression(suppression: AlertSuppression): void {
    this.suppression = suppression;
  }

  /** The fleet's view of each school's gateway; default: always reachable. */
  useReachability(reachability: SchoolReachability): void {
    this.reachability = reachability;
  }

  /** Takes an alert; returns at once. Nothing it does can throw into the caller (the health monitor). */
  raise(alert: Alert): void {
    if (this.closed) return;
    try {
      this.take(alert);
    } catch (err) {
      this.log.error({ err }, `${alert.kind} alert of school ${alert.schoolId} could not be taken`);
    }
  }

  /** Sends a test message to one channel now, one attempt, and says how it went (POST …/:id/test). */
  async sendTest(channel: AlertChannel, school: { id: string | null; name: string }, actor: Actor) {
    const at = this.clock.now();
    const alert: Alert = {
      kind: "test",
      schoolId: school.id ?? "",
      schoolName: school.name,
      at,
      reason: "",
    };
    const message = this.message(school, [alert]);
    const error = await this.attempt(channel, message);
    this.record(actor, school.id, error === undefined ? "alert.delivered" : "alert.failed", channel, {
      test: true,
      attempts: 1,
      ...(error !== undefined && { error }),
    });
    const outcome: DeliveryOutcome = { delivered: error === undefined, attempts: 1 };
    if (error !== undefined) outcome.error = error;
    return outcome;
  }

  /** A camera removed: its reminders are cancelled (no recovery will ever come for it). */
  forgetCamera(cameraId: string): void {
    this.cancelReminders(cameraId);
    this.unannounced.delete(cameraId);
  }

  /** Messages waiting or being delivered, all channels together (tests wait for 0). */
  get pending(): number {
    let n = this.busy.size;
    for (const q of this.queues.values()) n += q.length;
    return n + this.groups.size;
  }

  /** Cancels every group, reminder, retry and delivery in flight; later alerts are ignored. */
  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) this.clock.clearTimeout(g.timer);
    this.groups.clear();
    for (const handles of this.reminders.values()) for (const h of handles) this.clock.clearTimeout(h);
    this.reminders.clear();
    for (const [h, wake] of this.sleeping) {
      this.clock.clearTimeout(h);
      wake();
    }
    this.sleeping.clear();
    for (const c of this.inFlight) c.abort();
    this.queues.clear();
  }

  private take(alert: Alert): void {
    const camera = alert.cameraId;
    if (camera !== undefined) {
      if (alert.kind === "offline") this.scheduleReminders(alert);
      if (alert.kind === "recovery") this.cancelReminders(camera);
    }
    if (this.suppression.suppressed(alert.schoolId, camera, alert.at)) {
      if (camera !== undefined && alert.kind === "offline") this.unannounced.add(camera);
      this.log.debug(`${alert.kind} of ${camera ?? alert.schoolId} suppressed (muted or maintenance)`);
      return;
    }
    if (camera !== undefined) {
      if (alert.kind === "recovery" && this.unannounced.delete(camera)) {
        this.log.debug(`recovery of ${camera} not sent: its outage was never announced`);
        return;
      }
      if (alert.kind === "offline" || alert.kind === "reminder") this.unannounced.delete(camera);
    }
    let group = this.groups.get(alert.schoolId);
    if (!group) {
      const schoolId = alert.schoolId;
      group = {
        schoolId,
        schoolName: alert.schoolName,
        alerts: [],
        held: false,
        timer: this.clock.setTimeout(() => {
          this.flush(schoolId);
        }, this.opts.groupMs),
      };
      this.groups.set(schoolId, group);
    }
    group.schoolName = alert.schoolName;
    // While held back, an outage that is over before anyone could hear of it is no news: both go.
    if (group.held && alert.kind === "recovery" && camera !== undefined) {
      const before = group.alerts.length;
      group.alerts = group.alerts.filter(
        (a) => !(a.cameraId === camera && (a.kind === "offline" || a.kind === "reminder")),
      );
      if (group.alerts.length < before) return;
    }
    group.alerts.push(alert);
    if (group.alerts.length > maxHeldPerSchool) {
      const dropped = group.alerts.splice(0, group.alerts.length - maxHeldPerSchool);
      this.log.warn(`school ${alert.schoolId}: ${String(dropped.length)} old alerts dropped (too many held)`);
    }
  }

  private scheduleReminders(offline: Alert): void {
    const camera = offline.cameraId as string;
    this.cancelReminders(camera);
    const since = offline.since ?? offline.at;
    const handles = this.opts.reminderMs.map((ms) =>
      this.clock.setTimeout(() => {
        this.raise({ ...offline, kind: "reminder", at: this.clock.now(), since });
      }, ms),
    );
    this.reminders.set(camera, handles);
  }

  private cancelReminders(camera: string): void {
    for (const h of this.reminders.get(camera) ?? []) this.clock.clearTimeout(h);
    this.reminders.delete(camera);
  }

  private flush(schoolId: string): void {
    try {
      this.send(schoolId);
    } catch (err) {
      this.log.error({ err }, `alerts of school ${schoolId} could not be sent`);
    }
  }

  private send(schoolId: string): void {
    const group = this.groups.get(schoolId);
    if (!group || this.closed) return;
    this.groups.delete(schoolId);
    let alerts = group.alerts;
    let reachable = true;
    try {
      reachable = this.reachability.schoolReachable(schoolId);
    } catch (err) {
      this.log.error({ err }, `reachability of school ${schoolId} unknown; sending`);
    }
    if (!reachable) {
      // The school's own alerts (no camera) still go; its cameras' wait for its gateway to be back.
      const held = alerts.filter((a) => a.cameraId !== undefined);
      alerts = alerts.filter((a) => a.cameraId === undefined);
      if (held.length > 0) {
        this.log.info(`school ${schoolId} unreachable: ${String(held.length)} camera alerts held back`);
        this.groups.set(schoolId, {
          ...group,
          alerts: held,
          held: true,
          timer: this.clock.setTimeout(() => {
            this.flush(schoolId);
          }, this.opts.groupMs),
        });
      }
    }
    if (alerts.length === 0) return;
    const message = this.message({ id: schoolId, name: group.schoolName }, alerts);
    const channels = this.channels.forSchool(schoolId);
    this.record(systemActor, schoolId, "alert.raised", undefined, {
      alerts: alerts.map((a) => ({
        kind: a.kind,
        ...(a.cameraId !== undefined && { cameraId: a.cameraId }),
      })),
      channels: channels.map((c) => c.id),
    });
    if (channels.length === 0) this.log.info(`school ${schoolId}: no alert channel; nothing sent`);
    for (const channel of channels) this.enqueue({ channelId: channel.id, message });
  }

  private message(school: { id: string | null; name: string }, alerts: Alert[]): AlertMessage {
    return {
      school: { id: school.id ?? "", name: school.name },
      alerts,
      text: messageText(school.name, alerts),
      subject: subjectText(school.name, alerts),
      sentAt: this.clock.now(),
    };
  }

  private enqueue(job: Job): void {
    let queue = this.queues.get(job.channelId);
    if (!queue) {
      queue = [];
      this.queues.set(job.channelId, queue);
    }
    queue.push(job);
    if (queue.length > this.opts.queueLimit) {
      const dropped = queue.shift() as Job;
      this.log.warn(`channel ${job.channelId}: queue full, oldest message dropped`);
      this.record(
        systemActor,
        dropped.message.school.id,
        "alert.failed",
        { id: job.channelId },
        {
          attempts: 0,
          error: "queue full",
        },
      );
    }
    if (!this.busy.has(job.channelId)) void this.work(job.channelId);
  }

  /** Works one channel's queue, one message at a time, until it is empty. */
  private async work(channelId: string): Promise<void> {
    this.busy.add(channelId);
    try {
      for (let job = this.queues.get(channelId)?.shift(); job; job = this.queues.get(channelId)?.shift()) {
        await this.deliver(job);
        if (this.closed) return;
      }
    } catch (err) {
      this.log.error({ err }, `channel ${channelId}: delivery loop failed`);
    } finally {
      this.busy.delete(channelId);
      if (this.queues.get(channelId)?.length === 0) this.queues.delete(channelId);
    }
  }

  private async deliver(job: Job): Promise<void> {
    const { attempts } = this.opts.retry;
    let error: string | undefined;
    let channel: AlertChannel | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // Read each time: a channel removed or switched off while its message waited gets nothing more.
      channel = this.channels.get(job.channelId);
      if (!channel?.enabled) {
        this.log.info(`channel ${job.channelId} removed or disabled; its message is dropped`);
        return;
      }
      error = await this.attempt(channel, job.message);
      if (this.closed) return;
      if (error === undefined) {
        this.log.info(`channel ${channel.id} (${channel.config.kind}): delivered, attempt ${attempt}`);
        this.record(systemActor, job.message.school.id, "alert.delivered", channel, { attempts: attempt });
        return;
      }
      this.log.warn(`channel ${channel.id} (${channel.config.kind}) attempt ${attempt}: ${error}`);
      if (attempt < attempts) {
        await this.sleep(retryDelay(attempt, this.opts.retry, this.opts.random ?? Math.random));
        if (this.isClosed()) return;
      }
    }
    this.record(systemActor, job.message.school.id, "alert.failed", channel ?? { id: job.channelId }, {
      attempts,
      ...(error !== undefined && { error }),
    });
  }

  /** One delivery with its deadline; the error's text (secrets blanked), or undefined when delivered. */
  private async attempt(channel: AlertChannel, message: AlertMessage): Promise<string | undefined> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const deadline = this.clock.setTimeout(() => {
      controller.abort();
    }, this.opts.timeoutMs);
    try {
      await this.senders[channel.config.kind].send(channel, message, controller.signal);
      return undefined;
    } catch (err) {
      const why = controller.signal.aborted ? "timed out" : (err as Error).message;
      return redact(why, [channel.secret]);
    } finally {
      this.clock.clearTimeout(deadline);
      this.inFlight.delete(controller);
    }
  }

  /** Read after an await: close() may have run meanwhile (a method, so the compiler does not narrow it). */
  private isClosed(): boolean {
    return this.closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const h = this.clock.setTimeout(() => {
        this.sleeping.delete(h);
        resolve();
      }, ms);
      this.sleeping.set(h, resolve);
    });
  }

  private record(
    actor: Actor,
    schoolId: string | null,
    action: string,
    channel: (Pick<AlertChannel, "id"> & { config?: AlertChannel["config"] }) | undefined,
    detail: Record<string, unknown>,
  ): void {
    if (this.closed && actor === systemActor) return;
    try {
      this.audit.record({
        actor,
        schoolId: schoolId === "" ? null : schoolId,
        action,
        ...(channel && { targetKind: "alert_channel", targetId: channel.id }),
        detail: { ...(channel?.config && { kind: channel.config.kind }), ...detail },
      });
    } catch (err) {
      this.log.error({ err }, `audit of ${action} failed`);
    }
  }
}
