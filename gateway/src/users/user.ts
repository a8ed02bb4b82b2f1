import { z } from "zod";
import { idSchema } from "../common/ids.js";
import { nameSchema } from "../common/names.js";

export type Role = "operator" | "school_admin" | "teacher";

/** An admin account as the rest of the gateway sees it: never its password hash. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** null for an operator (all schools). */
  schoolId: string | null;
  /** A teacher's own classrooms. */
  classroomIds: string[];
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

const username = z
  .string()
  .trim()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, "letters, digits, . _ @ or - only");
const password = z.string().min(10, "at least 10 characters").max(200);

export const loginSchema = z
  .object({ username: z.string().max(200), password: z.string().max(200) })
  .strict();

export const userCreateSchema = z
  .object({
    username,
    displayName: nameSchema(100),
    password,
    role: z.enum(["operator", "school_admin", "teacher"]),
    schoolId: idSchema.optional().describe("Required for school_admin and teacher; absent for operator"),
    classroomIds: z.array(idSchema).max(50).default([]).describe("A teacher's own classrooms"),
  })
  .strict()
  .superRefine((u, ctx) => {
    if ((u.role === "operator") !== (u.schoolId === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["schoolId"],
        message: u.role === "operator" ? "an operator has no school" : "required for this role",
      });
    }
    if (u.role !== "teacher" && u.classroomIds.length > 0) {
      ctx.addIssue({ code: "custom", path: ["classroomIds"], message: "only a teacher has own classrooms" });
    }
  });

export const userPatchSchema = z
  .object({
    displayName: nameSchema(100).optional(),
    password: password.optional(),
    disabled: z.boolean().optional(),
    classroomIds: z.array(idSchema).max(50).optional(),
  })
  .strict();

export type UserCreate = z.infer<typeof userCreateSchema>;
export type UserPatch = z.infer<typeof userPatchSchema>;
