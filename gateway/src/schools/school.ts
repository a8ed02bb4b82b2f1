import { z } from "zod";
import { nameSchema } from "../common/names.js";
import { isTimeZone, scheduleSchema, type Pause, type Schedule } from "./schedule.js";

export interface School {
  id: string;
  name: string;
  /** Nomor Pokok Sekolah Nasional (8 digits). */
  npsn: string | null;
  address: string;
  /** The kecamatan (district) of the kabupaten the school lies in, for the dashboard's filter; "" for none. */
  area: string;
  /** How parents reach the school (phone, WhatsApp, e-mail), shown on the guardian's link page; "" for none. */
  contact: string;
  /** IANA zone of the school's viewing windows: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT). */
  timeZone: string;
  demo: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Classroom {
  id: string;
  schoolId: string;
  name: string;
  schedule: Schedule;
  pause: Pause | null;
  demo: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Free text shown to parents or admins: no markup characters, no control characters. */
const plainText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine(
      // eslint-disable-next-line no-control-regex
      (s) => !/[<>\x00-\x09\x0b-\x1f\x7f\uFFFD\uD800-\uDFFF]/u.test(s),
      "must not contain < > or control characters",
    );

/** A name like a school's (nameSchema), or "" for none given. */
const areaSchema = z.union([z.literal(""), nameSchema(100)]);

const timeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, "not a known IANA time zone (e.g. Asia/Jakarta)")
  .describe("IANA time zone of the viewing windows");

export const schoolCreateSchema = z
  .object({
    name: nameSchema(150),
    npsn: z
      .string()
      .regex(/^\d{8}$/, "NPSN is 8 digits")
      .optional(),
    address: plainText(300).default(""),
    area: areaSchema
      .default("")
      .describe("The kecamatan (district) within the kabupaten, e.g. Kecamatan Sukajadi"),
    contact: plainText(150)
      .default("")
      .describe("How parents reach the school (phone, WhatsApp, e-mail); shown on the guardians' link page"),
    timeZone: timeZone.default("Asia/Jakarta"),
  })
  .strict();

export const schoolPatchSchema = z
  .object({
    name: schoolCreateSchema.shape.name.optional(),
    npsn: schoolCreateSchema.shape.npsn.unwrap().nullable().optional(),
    address: schoolCreateSchema.shape.address.unwrap().optional(),
    area: areaSchema.optional(),
    contact: schoolCreateSchema.shape.contact.unwrap().optional(),
    timeZone: timeZone.optional(),
  })
  .strict();

export const classroomCreateSchema = z
  .object({
    name: nameSchema(100),
    schedule: scheduleSchema.optional(),
  })
  .strict();

export const classroomPatchSchema = z.object({ name: nameSchema(100).optional() }).strict();

export const pauseSchema = z
  .object({
    minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .optional()
      .describe("Pause for this many minutes; without it the pause lasts until lifted"),
  })
  .strict();

export type SchoolCreate = z.infer<typeof schoolCreateSchema>;
export type SchoolPatch = z.infer<typeof schoolPatchSchema>;
export type ClassroomCreate = z.infer<typeof classroomCreateSchema>;
