import type { Explanation } from "../common/explanation.js";
import type { Alert } from "./alert.js";
import type { AlertChannel } from "./alert-channel.js";

/** One message to one channel: a school's alerts grouped, with its text in both languages. */
export interface AlertMessage {
  school: { id: string; name: string };
  alerts: readonly Alert[];
  /** Bahasa Indonesia and English; every channel sends both, Indonesian first. */
  text: Explanation;
  /** The e-mail subject, both languages. */
  subject: string;
  sentAt: number;
}

/**
 * Delivers a message to one kind of channel, once; resolves when the receiver took it, rejects with a
 * DeliveryError otherwise. `signal` aborts a delivery that takes too long (alerts.timeoutSeconds).
 */
export interface AlertSender {
  send(channel: AlertChannel, message: AlertMessage, signal: AbortSignal): Promise<void>;
}

/** A failed delivery; its message never holds a secret (token, webhook key, a URL's path). */
export class DeliveryError extends Error {
  readonly code = "delivery_failed";
}

/** The message with every occurrence of the secrets blanked: for errors and logs built from outside text. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s !== undefined && s !== "") out = out.split(s).join("[redacted]");
  return out;
}

/** The body a webhook receives (and the JSON shape of an alert outside the gateway): times as ISO strings. */
export function alertJson(a: Alert): Record<string, unknown> {
  return {
    kind: a.kind,
    schoolId: a.schoolId,
    ...(a.cameraId !== undefined && { cameraId: a.cameraId }),
    ...(a.cameraName !== undefined && { cameraName: a.cameraName }),
    at: new Date(a.at).toISOString(),
    ...(a.since !== undefined && { since: new Date(a.since).toISOString() }),
    reason: a.reason,
    ...(a.detail !== undefined && { detail: a.detail }),
  };
}
