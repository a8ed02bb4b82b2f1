import { z } from "zod";
import { idSchema } from "../common/ids.js";
import { nameSchema } from "../common/names.js";

export interface Child {
  name: string;
  classroomId: string;
}

export interface Guardian {
  id: string;
  schoolId: string;
  name: string;
  phone: string | null;
  email: string | null;
  children: Child[];
  revokedAt: string | null;
  demo: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AccessLink {
  id: string;
  guardianId: string;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Device {
  id: string;
  guardianId: string;
  linkId: string | null;
  userAgent: string;
  createdAt: string;
  lastSeenAt: string;
  revokedAt: string | null;
  /**
   * `device`: the school removed this phone (it stays removed: reopening a link on it registers nothing);
   * `link`: its link was revoked (a new link may register it again); `replaced`: it watches for another
   * guardian now.
   */
  revokedReason: DeviceRevokedReason | null;
}

export type DeviceRevokedReason = "device" | "link" | "replaced";

/** Indonesian phone numbers as schools write them: +62…, 62…, 08…; spaces and dashes dropped. */
export const phoneSchema = z
  .string()
  .trim()
  .transform((s) => s.replace(/[\s-]/g, ""))
  .pipe(z.string().regex(/^\+?\d{8,15}$/, "phone must be 8–15 digits, optionally starting with +"));

export const emailSchema = z.string().trim().max(254).pipe(z.email("not a valid e-mail address"));

export const childSchema = z.object({ name: nameSchema(100), classroomId: idSchema }).strict();

export const guardianCreateSchema = z
  .object({
    name: nameSchema(100),
    phone: phoneSchema.optional(),
    email: emailSchema.optional(),
    children: z.array(childSchema).min(1, "a guardian needs at least one child").max(20),
  })
  .strict();

export const guardianPatchSchema = z
  .object({
    name: nameSchema(100).optional(),
    phone: phoneSchema.nullable().optional(),
    email: emailSchema.nullable().optional(),
    children: guardianCreateSchema.shape.children.optional(),
    revoked: z.boolean().optional().describe("true cuts every device of this guardian at once"),
  })
  .strict();

export const linkCreateSchema = z
  .object({
    expiresInDays: z.number().int().min(1).max(365).optional(),
  })
  .strict();

export type GuardianCreate = z.infer<typeof guardianCreateSchema>;
export type GuardianPatch = z.infer<typeof guardianPatchSchema>;

export const consentMethods = ["paper_form", "in_person", "whatsapp", "email", "other"] as const;
export type ConsentMethod = (typeof consentMethods)[number];

/** How and when the school recorded a guardian's consent (UU PDP 27/2022); withdrawn ones stay on record. */
export interface Consent {
  id: string;
  guardianId: string;
  recordedAt: string;
  method: ConsentMethod;
  note: string;
  /** The admin who recorded it; null for the demo's. */
  recordedBy: { id: string; name: string } | null;
  createdAt: string;
  withdrawnAt: string | null;
}

/** Free text typed by an admin: kept as written (markup is only text), without control characters. */
const noteSchema = z
  .string()
  .trim()
  .max(500, "must be at most 500 characters")
  .transform((s) => s.normalize("NFC"))
  .refine(
    // eslint-disable-next-line no-control-regex
    (s) => !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\uFFFD\uD800-\uDFFF]/u.test(s),
    "must not contain control characters or broken Unicode",
  );

export const consentCreateSchema = z
  .object({
    method: z.enum(consentMethods).describe("how the consent was given"),
    note: noteSchema.optional().describe("e.g. where the signed form is filed; up to 500 characters"),
    recordedAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("when the guardian consented (ISO date-time, not in the future); default now"),
  })
  .strict();

export const classroomLinksSchema = linkCreateSchema;

export type ConsentCreate = z.infer<typeof consentCreateSchema>;
