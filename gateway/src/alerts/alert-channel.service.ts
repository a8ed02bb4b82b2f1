import type { Caller } from "../access/caller.js";
import { managesSchool } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { explainedError, forbidden, HttpError, notFound } from "../common/errors.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { User } from "../users/user.js";
import {
  publicChannel,
  storedChannel,
  type AlertChannel,
  type AlertChannelCreate,
  type AlertChannelPatch,
  type AlertChannelView,
} from "./alert-channel.js";
import type { AlertChannelRepository } from "./alert-channel.repository.js";
import type { AlertDispatcher, DeliveryOutcome } from "./alert-dispatcher.js";

const allSchools = "Semua sekolah / All schools";

/** What the audit keeps of a channel: where it points (a URL's origin only: its path may be a secret). */
function auditedChannel(c: AlertChannel): Record<string, unknown> {
  const config =
    c.config.kind === "webhook" ? { kind: "webhook", url: new URL(c.config.url).origin + "/…" } : c.config;
  return { name: c.name, config, hasSecret: c.secret !== undefined, enabled: c.enabled };
}

function mayConfigure(user: User): void {
  if (user.role === "teacher") throw forbidden("only operators and school admins configure alerts");
}

/**
 * Alert channels as operators and school admins configure them: an operator for any school or for all of
 * them (schoolId null), a school admin for their own school only, a teacher not at all. Every change is
 * audited through the unit of work; secrets are stored sealed and never shown.
 */
export class AlertChannelService {
  constructor(
    private readonly channels: AlertChannelRepository,
    private readonly schools: SchoolRepository,
    private readonly work: UnitOfWork,
    private readonly dispatcher: Pick<AlertDispatcher, "sendTest">,
    private readonly opts: { smtpConfigured: boolean },
  ) {}

  list({ user }: Caller): AlertChannelView[] {
    mayConfigure(user);
    return this.channels
      .list()
      .filter((c) => this.manages(user, c))
      .map(publicChannel);
  }

  create(caller: Caller, input: AlertChannelCreate): AlertChannelView {
    const { user } = caller;
    mayConfigure(user);
    // A school admin's channel is for their school, named or not; an operator's without a school is for all.
    const schoolId =
      input.schoolId === undefined ? (user.role === "operator" ? null : user.schoolId) : input.schoolId;
    if (schoolId === null) {
      if (user.role !== "operator") throw forbidden("only an operator adds a channel for every school");
    } else {
      if (!managesSchool(user, schoolId))
        throw forbidden("you may add alert channels only for your own school");
      if (!this.schools.get(schoolId)) {
        throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
      }
    }
    if (input.kind === "email" && !this.opts.smtpConfigured) {
      throw explainedError(422, "smtp_not_configured", {
        id: "Pengiriman surel belum diatur di gateway ini (alerts.smtp); minta operator mengaturnya.",
        en: "E-mail is not set up on this gateway (alerts.smtp); ask the operator to set it up.",
      });
    }
    const channel = this.work.apply(
      caller.actor,
      (c: AlertChannel) => ({
        schoolId: c.schoolId,
        action: "alert_channel.create",
        targetKind: "alert_channel",
        targetId: c.id,
        detail: auditedChannel(c),
      }),
      () => this.channels.create(storedChannel(input, schoolId)),
    );
    return publicChannel(channel);
  }

  /** A new label, or switched off (its waiting messages are dropped) and on again. */
  update(caller: Caller, id: string, patch: AlertChannelPatch): AlertChannelView {
    const channel = this.visible(caller, id);
    const updated = this.work.apply(
      caller.actor,
      (c: AlertChannel) => ({
        schoolId: c.schoolId,
        action: "alert_channel.update",
        targetKind: "alert_channel",
        targetId: c.id,
        detail: auditedChannel(c),
      }),
      () => this.channels.update(channel.id, patch),
    );
    return publicChannel(updated);
  }

  delete(caller: Caller, id: string): void {
    const channel = this.visible(caller, id);
    this.work.apply(
      caller.actor,
      {
        schoolId: channel.schoolId,
        action: "alert_channel.delete",
        targetKind: "alert_channel",
        targetId: channel.id,
        detail: auditedChannel(channel),
      },
      () => {
        this.channels.delete(channel.id);
      },
    );
  }

  /** Sends a test message now; a receiver that does not take it is 502 with the reason (never a secret). */
  async test(caller: Caller, id: string): Promise<DeliveryOutcome> {
    const channel = this.visible(caller, id);
    const school =
      channel.schoolId === null
        ? { id: null, name: allSchools }
        : { id: channel.schoolId, name: this.schools.get(channel.schoolId)?.name ?? channel.schoolId };
    const outcome = await this.dispatcher.sendTest(channel, school, caller.actor);
    if (!outcome.delivered) {
      throw new HttpError(
        502,
        "delivery_failed",
        `the test message was not delivered: ${outcome.error ?? ""}`,
      );
    }
    return outcome;
  }

  private manages(user: User, c: AlertChannel): boolean {
    return c.schoolId === null ? user.role === "operator" : managesSchool(user, c.schoolId);
  }

  /** A channel the caller manages; any other (another school's, or none) is "no such alert channel". */
  private visible({ user }: Caller, id: string): AlertChannel {
    mayConfigure(user);
    const channel = this.channels.get(id);
    if (!channel || !this.manages(user, channel)) throw notFound("alert channel");
    return channel;
  }
}
