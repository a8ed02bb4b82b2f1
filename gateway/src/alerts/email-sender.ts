import nodemailer, { type Transporter } from "nodemailer";
import type { AlertChannel } from "./alert-channel.js";
import { DeliveryError, redact, type AlertMessage, type AlertSender } from "./alert-sender.js";

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string | undefined;
  password?: string | undefined;
  from: string;
}

/**
 * E-mail over SMTP (nodemailer) to `alerts.smtp`: one plain-text message, Bahasa Indonesia first, English
 * below. One transport for the gateway; no pool, so nothing stays connected between alerts.
 */
export class EmailSender implements AlertSender {
  private readonly transport: Transporter | undefined;

  constructor(
    private readonly smtp: SmtpSettings | undefined,
    timeoutMs: number,
  ) {
    this.transport =
      smtp &&
      nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(smtp.user !== undefined && { auth: { user: smtp.user, pass: smtp.password ?? "" } }),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
  }

  async send(channel: AlertChannel, message: AlertMessage, signal: AbortSignal): Promise<void> {
    if (channel.config.kind !== "email") throw new DeliveryError("not an e-mail channel");
    if (this.transport === undefined || this.smtp === undefined) {
      throw new DeliveryError("alerts.smtp is not configured");
    }
    const text = `${message.text.id}\n\n— English —\n\n${message.text.en}\n`;
    const sending = this.transport.sendMail({
      from: this.smtp.from,
      to: channel.config.to,
      subject: message.subject,
      text,
    });
    // nodemailer takes no AbortSignal; its own timeouts end the connection, this ends the wait.
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => {
        reject(new DeliveryError(`SMTP ${this.smtp?.host ?? ""}: timed out`));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([sending, aborted]);
    } catch (err) {
      sending.catch(() => undefined);
      if (err instanceof DeliveryError) throw err;
      throw new DeliveryError(
        redact(`SMTP ${this.smtp.host}: ${(err as Error).message}`, [this.smtp.password]),
      );
    }
  }

  close(): void {
    this.transport?.close();
  }
}
