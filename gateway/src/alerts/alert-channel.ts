import { z } from "zod";
import { urlOf } from "../common/url-input.js";
import { idSchema } from "../common/ids.js";
import { nameSchema } from "../common/names.js";
import { literalHostRefusal } from "./receiver-address.js";

export type AlertChannelKind = "webhook" | "email" | "telegram";

/** What a channel needs that is not secret: shown by the API as is. */
export type AlertChannelConfig =
  { kind: "webhook"; url: string } | { kind: "email"; to: string[] } | { kind: "telegram"; chatId: string };

/** A stored alert channel, its secret (webhook HMAC key, Telegram bot token) opened: for the senders only. */
export interface AlertChannel {
  id: string;
  /** null: every school's alerts (an operator's channel). */
  schoolId: string | null;
  name: string;
  config: AlertChannelConfig;
  secret: string | undefined;
  enabled: boolean;
  createdAt: string;
}

/** A channel as the API shows it: never its secret, only whether it has one. */
export interface AlertChannelView {
  id: string;
  schoolId: string | null;
  kind: AlertChannelKind;
  name: string;
  config: Record<string, unknown>;
  hasSecret: boolean;
  enabled: boolean;
  createdAt: string;
}

export function publicChannel(c: AlertChannel): AlertChannelView {
  const { kind, ...config } = c.config;
  return {
    id: c.id,
    schoolId: c.schoolId,
    kind,
    name: c.name,
    config,
    hasSecret: c.secret !== undefined,
    enabled: c.enabled,
    createdAt: c.createdAt,
  };
}

/**
 * A receiver's address: http or https only, no user:password in it (the secret has its own field), no
 * fragment, not at a link-local, metadata, multicast or broadcast address. Checked again before each send
 * (alerts/http-post.ts), once the name is resolved; redirects are not followed.
 */
export const receiverUrl = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    const url = urlOf(value, ctx, "https://host/path");
    if (url === undefined) return;
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({
        code: "custom",
        message: `scheme "${url.protocol}" is not allowed; use https:// or http://`,
      });
    } else if (url.username !== "" || url.password !== "") {
      ctx.addIssue({ code: "custom", message: "put no user name or password in the URL; use secret" });
    } else if (url.hash !== "") {
      ctx.addIssue({ code: "custom", message: "URL must not have a #fragment" });
    } else {
      const refused = literalHostRefusal(url.hostname);
      if (refused !== undefined) {
        ctx.addIssue({ code: "custom", message: `no alert receiver can be at ${url.hostname} (${refused})` });
      }
    }
  });

// One address, no display names or lists inside the string: what an SMTP RCPT TO takes.
const emailAddress = z.email({ error: "expected an e-mail address like tu@sekolah.sch.id" }).max(254);

const common = {
  schoolId: idSchema
    .nullable()
    .optional()
    .describe("The school whose alerts it gets; absent or null: every school (operators only)"),
  name: nameSchema(100).optional().describe("A label for the list; default from the address"),
  enabled: z.boolean().default(true),
};

export const alertChannelCreateSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("webhook"),
      url: receiverUrl.describe("Receives POST JSON {alerts, school, text, sentAt}"),
      secret: z
        .string()
        .min(16, "at least 16 characters")
        .max(256)
        .describe("HMAC-SHA256 key: X-Pantau-Signature: sha256=<hex of the raw body>"),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal("email"),
      to: z
        .union([emailAddress, z.array(emailAddress).min(1).max(10)])
        .transform((to) => (Array.isArray(to) ? to : [to]))
        .describe("One address or up to 10"),
      ...common,
    })
    .strict(),
  z
    .object({
      kind: z.literal("telegram"),
      chatId: z
        .union([
          z.number().int(),
          z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, "a chat id (digits) or @channel"),
        ])
        .transform(String)
        .describe("The chat, group or @channel the bot posts to"),
      botToken: z
        .string()
        .regex(/^\d{3,20}:[A-Za-z0-9_-]{20,100}$/, "a bot token as BotFather gives it: 123456:ABC…")
        .describe("The bot's token (from BotFather); stored encrypted, never shown"),
      ...common,
    })
    .strict(),
]);

export type AlertChannelCreate = z.infer<typeof alertChannelCreateSchema>;

/** What may change on a channel: its label and whether it is on. A new address or secret is a new channel. */
export const alertChannelPatchSchema = z
  .object({ name: nameSchema(100).optional(), enabled: z.boolean().optional() })
  .strict();

export type AlertChannelPatch = z.infer<typeof alertChannelPatchSchema>;

/** What the repository stores for a new channel. */
export interface StoredAlertChannelCreate {
  schoolId: string | null;
  name: string;
  config: AlertChannelConfig;
  secret: string | undefined;
  enabled: boolean;
}

/** The config and secret of a create body, and a default name from its address. */
export function storedChannel(input: AlertChannelCreate, schoolId: string | null): StoredAlertChannelCreate {
  switch (input.kind) {
    case "webhook":
      return {
        schoolId,
        name: input.name ?? `webhook ${new URL(input.url).host}`,
        config: { kind: "webhook", url: input.url },
        secret: input.secret,
        enabled: input.enabled,
      };
    case "email":
      return {
        schoolId,
        name: input.name ?? `e-mail ${input.to.join(", ")}`.slice(0, 100),
        config: { kind: "email", to: input.to },
        secret: undefined,
        enabled: input.enabled,
      };
    case "telegram":
      return {
        schoolId,
        name: input.name ?? `telegram ${input.chatId}`,
        config: { kind: "telegram", chatId: input.chatId },
        secret: input.botToken,
        enabled: input.enabled,
      };
  }
}
