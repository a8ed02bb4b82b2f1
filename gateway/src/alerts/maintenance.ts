import { z } from "zod";
import { idSchema } from "../common/ids.js";
import { nameSchema } from "../common/names.js";
import { minutes, scheduleSchema, type Weekday } from "../schools/schedule.js";

/**
 * A time when a camera, a school or every school is expected to be down (electricians, a network change):
 * its alerts are held back and the time counts neither for nor against uptime. A window takes effect from
 * when it was made (never before: a past outage cannot be excused afterwards) until it is deleted; a deleted
 * window stays stored, so the uptime of the weeks it covered does not change.
 */
export type MaintenanceWindow = OnceWindow | WeeklyWindow;

interface WindowBase {
  id: string;
  /** null: every school (made by an operator). */
  schoolId: string | null;
  /** null: the whole school (or every school). */
  cameraId: string | null;
  reason: string;
  /** Who made it (the admin's username). */
  createdBy: string;
  createdAt: string;
  /** When it was deleted (it applied until then); null while it stands. */
  deletedAt: string | null;
  deletedBy: string | null;
}

export interface OnceWindow extends WindowBase {
  kind: "once";
  /** ISO instants (UTC). */
  startsAt: string;
  endsAt: string;
}

export interface WeeklyWindow extends WindowBase {
  kind: "weekly";
  /** ISO weekdays (Monday = 1) on which the window starts. */
  weekdays: Weekday[];
  /** Local "HH:MM" in the school's time zone; an end before the start is on the next day. */
  start: string;
  end: string;
}

/**
 * A camera muted: its alerts are held back from `createdAt` until `until` (null: until unmuted) or until it
 * was lifted, whichever comes first. One mute at a time per camera; lifted mutes stay stored for uptime.
 */
export interface CameraMute {
  id: string;
  cameraId: string;
  until: string | null;
  reason: string;
  createdBy: string;
  createdAt: string;
  liftedAt: string | null;
  liftedBy: string | null;
}

// The "HH:MM" and weekday rules of a classroom's viewing windows (schools/schedule.ts), not a second parser.
const viewingWindow = scheduleSchema.shape.windows.element;
const instant = z.iso
  .datetime({
    offset: true,
    error: "must be an ISO date-time with Z or an offset (2026-12-05T08:00:00+07:00)",
  })
  .transform((s) => new Date(s).toISOString());
const reason = nameSchema(200).optional().describe("Why, for whoever reads the alert list or the report");
const target = {
  schoolId: idSchema
    .nullable()
    .optional()
    .describe("The school; null: every school (operators only). Not needed with cameraId"),
  cameraId: idSchema.optional().describe("Only this camera; without it the whole school"),
  reason,
};
const schoolNamed = {
  error: "give the school (schoolId), null for every school, or a cameraId",
  path: ["schoolId"],
};

const onceSchema = z
  .object({
    kind: z.literal("once"),
    ...target,
    startsAt: instant.describe("ISO date-time with offset"),
    endsAt: instant.describe("ISO date-time with offset, after startsAt"),
  })
  .strict()
  .refine((w) => w.schoolId !== undefined || w.cameraId !== undefined, schoolNamed)
  .refine((w) => Date.parse(w.endsAt) > Date.parse(w.startsAt), {
    error: "endsAt must be after startsAt",
    path: ["endsAt"],
  });

const weeklySchema = z
  .object({
    kind: z.literal("weekly"),
    ...target,
    weekdays: z
      .array(viewingWindow.shape.day)
      .min(1)
      .max(7)
      .refine((d) => new Set(d).size === d.length, "each weekday once")
      .describe("ISO weekdays on which the window starts, Monday = 1"),
    start: viewingWindow.shape.start
      .refine((t) => minutes(t) < 24 * 60, "start must be 00:00–23:59")
      .describe("Local time HH:MM in the school's time zone"),
    end: viewingWindow.shape.end.describe(
      "Local time HH:MM; before the start: the window ends on the next day",
    ),
  })
  .strict()
  .refine((w) => w.schoolId !== undefined || w.cameraId !== undefined, schoolNamed)
  .refine((w) => w.end !== w.start, {
    error: "end must differ from start (00:00–24:00 is a whole day)",
    path: ["end"],
  });

export const maintenanceWindowCreateSchema = z.discriminatedUnion("kind", [onceSchema, weeklySchema]);
export type MaintenanceWindowCreate = z.infer<typeof maintenanceWindowCreateSchema>;

export const muteSchema = z
  .object({
    until: instant.optional().describe("ISO date-time with offset; without it, until unmuted"),
    reason,
  })
  .strict();
export type MuteInput = z.infer<typeof muteSchema>;

export const maintenanceQuery = z
  .object({
    schoolId: idSchema.optional().describe("Only what applies to this school (its own and every school's)"),
  })
  .strict();
