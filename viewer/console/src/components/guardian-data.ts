import type { T } from "../i18n.js";

/** The guardian shapes the console reads from GET /api/schools/:id/guardians and the link routes. */
export interface GuardianChild {
  name: string;
  classroomId: string;
}

export interface GuardianLink {
  id: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface GuardianDevice {
  id: string;
  userAgent: string;
  createdAt: string;
  lastSeenAt: string;
  revokedAt: string | null;
  revokedReason: "device" | "link" | "replaced" | null;
}

export type ConsentMethod = "paper_form" | "in_person" | "whatsapp" | "email" | "other";

export interface Consent {
  recordedAt: string;
  method: ConsentMethod;
  note: string | null;
  recordedBy: { id: string; name: string } | null;
}

export interface GuardianRow {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  children: GuardianChild[];
  revokedAt: string | null;
  links: GuardianLink[];
  devices: GuardianDevice[];
  /** Absent on a gateway older than the consent record: treated as not recorded. */
  consent?: Consent | null;
  lastViewedAt?: string | null;
}

export interface Classroom {
  id: string;
  name: string;
}

/** A link just issued: its URL is shown only now (the gateway keeps only its hash). */
export interface IssuedLink {
  id: string;
  url: string;
  qrSvg: string;
  expiresAt: string | null;
}

export const consentMethods: readonly ConsentMethod[] = [
  "paper_form",
  "in_person",
  "whatsapp",
  "email",
  "other",
];

export function consentMethodText(m: string, t: T): string {
  switch (m) {
    case "paper_form":
      return t("Formulir kertas bertanda tangan", "Signed paper form");
    case "in_person":
      return t("Langsung di sekolah", "In person at school");
    case "whatsapp":
      return t("Pesan WhatsApp", "WhatsApp message");
    case "email":
      return t("Surel", "E-mail");
    default:
      return t("Cara lain", "Other");
  }
}

/** A link or a phone counts as active until it is revoked or (for a link) expired. */
export function activeLinks(g: GuardianRow, now = Date.now()): GuardianLink[] {
  return g.links.filter(
    (l) => l.revokedAt === null && (l.expiresAt === null || Date.parse(l.expiresAt) > now),
  );
}

export function activeDevices(g: GuardianRow): GuardianDevice[] {
  return g.devices.filter((d) => d.revokedAt === null);
}

/** The message an admin pastes into WhatsApp for a parent, in Bahasa Indonesia then English. */
export function shareText(opts: { guardian: string; school: string; url: string }): string {
  return [
    `Yth. ${opts.guardian}, berikut tautan pribadi untuk melihat kamera kelas anak Anda di ${opts.school} ` +
      `selama jam sekolah: ${opts.url}`,
    "Tautan ini hanya untuk Anda; mohon tidak dibagikan.",
    "",
    `Dear ${opts.guardian}, here is your personal link to watch your child's classroom camera at ` +
      `${opts.school} during school hours: ${opts.url}`,
    "This link is for you only; please do not share it.",
  ].join("\n");
}

/** The QR the gateway drew, as an image (never injected as markup). */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** Phone numbers compared as digits with Indonesia's 62 and 0 prefixes treated alike. */
export function phoneDigits(s: string): string {
  return s.replace(/\D/g, "").replace(/^62/, "0");
}
