import type { AlertChannel } from "./alert-channel.js";
import { DeliveryError, type AlertMessage, type AlertSender } from "./alert-sender.js";
import { postTo } from "./http-post.js";

/** Telegram's longest message (core.telegram.org/bots/api#sendmessage: 1-4096 characters). */
const maxText = 4096;

/**
 * Telegram's Bot API: `POST {apiUrl}/bot<token>/sendMessage {chat_id, text}`; the token sits in the path,
 * so it is blanked from every error (postTo shows only the origin).
 */
export class TelegramSender implements AlertSender {
  constructor(private readonly apiUrl: string) {}

  async send(channel: AlertChannel, message: AlertMessage, signal: AbortSignal): Promise<void> {
    if (channel.config.kind !== "telegram") throw new DeliveryError("not a telegram channel");
    if (channel.secret === undefined) throw new DeliveryError("the channel has no bot token");
    let text = `${message.text.id}\n\n—\n\n${message.text.en}`;
    if (text.length > maxText) text = text.slice(0, maxText - 1) + "…";
    const url = `${this.apiUrl.replace(/\/+$/, "")}/bot${channel.secret}/sendMessage`;
    await postTo(url, JSON.stringify({ chat_id: channel.config.chatId, text }), {}, signal, [channel.secret]);
  }
}
