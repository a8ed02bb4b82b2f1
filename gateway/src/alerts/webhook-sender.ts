import { createHmac } from "node:crypto";
import type { AlertChannel } from "./alert-channel.js";
import { alertJson, DeliveryError, type AlertMessage, type AlertSender } from "./alert-sender.js";
import { postTo } from "./http-post.js";

/** `sha256=<hex>`: HMAC-SHA256 of the raw body with the channel's secret, as the receiver recomputes it. */
export function webhookSignature(secret: string, rawBody: string): string {
  return "sha256=" + createHmac("sha256", secret).update(rawBody, "utf8").digest("hex");
}

/**
 * POST JSON `{alerts, school, text: {id, en}, sentAt}` with `X-Pantau-Signature` over the raw body and
 * `X-Pantau-Timestamp` (seconds). `sentAt` sits inside the signed body, so a receiver that rejects old
 * messages checks a time the signature covers (the header alone is not signed).
 */
export class WebhookSender implements AlertSender {
  async send(channel: AlertChannel, message: AlertMessage, signal: AbortSignal): Promise<void> {
    if (channel.config.kind !== "webhook") throw new DeliveryError("not a webhook channel");
    if (channel.secret === undefined) throw new DeliveryError("the webhook has no secret");
    const body = JSON.stringify({
      alerts: message.alerts.map(alertJson),
      school: message.school,
      text: message.text,
      sentAt: new Date(message.sentAt).toISOString(),
    });
    await postTo(
      channel.config.url,
      body,
      {
        "x-pantau-signature": webhookSignature(channel.secret, body),
        "x-pantau-timestamp": String(Math.floor(message.sentAt / 1000)),
      },
      signal,
      [channel.secret],
    );
  }
}
