import type { Caller } from "../access/caller.js";
import { managesUser } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { HttpError, forbidden, notFound } from "../common/errors.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import { hashPassword } from "./passwords.js";
import type { User, UserCreate, UserPatch } from "./user.js";
import type { UserRepository } from "./user.repository.js";

/** Admin accounts: an operator manages all; a school_admin the admins and teachers of their own school. */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly schools: SchoolRepository,
    private readonly classrooms: ClassroomRepository,
    private readonly work: UnitOfWork,
  ) {}

  /** The accounts the caller manages; a teacher manages none and may not ask. */
  list({ user }: Caller): User[] {
    if (user.role === "teacher") throw forbidden();
    return this.users.list().filter((u) => managesUser(user, u));
  }

  async create(caller: Caller, input: UserCreate): Promise<User> {
    if (!managesUser(caller.user, { role: input.role, schoolId: input.schoolId ?? null })) throw forbidden();
    this.checkScope(input.schoolId, input.classroomIds);
    const hash = await hashPassword(input.password);
    return this.work.apply(
      caller.actor,
      (r: User) => ({
        schoolId: r.schoolId,
        action: "user.create",
        targetKind: "user",
        targetId: r.id,
        detail: { username: r.username, role: r.role },
      }),
      () => this.users.create(input, hash),
    );
  }

  /** Changes an account; a new password or disabling it ends its sessions. The password is never audited. */
  async update(caller: Caller, id: string, patch: UserPatch): Promise<User> {
    const u = this.managed(caller, id);
    if (patch.classroomIds && u.role !== "teacher") {
      throw new HttpError(
        400,
        "invalid_input",
        "classroomIds: only a teacher has own classrooms",
        "classroomIds",
      );
    }
    if (patch.classroomIds) this.checkScope(u.schoolId ?? undefined, patch.classroomIds);
    const hash = patch.password === undefined ? undefined : await hashPassword(patch.password);
    const { password: _omit, ...shown } = patch;
    return this.work.apply(
      caller.actor,
      {
        schoolId: u.schoolId,
        action: "user.update",
        targetKind: "user",
        targetId: u.id,
        detail: { ...shown, passwordChanged: hash !== undefined },
      },
      () => {
        const r = this.users.update(u.id, patch, hash);
        if (hash !== undefined || patch.disabled === true) this.users.deleteSessionsOf(u.id);
        return r;
      },
    );
  }

  delete(caller: Caller, id: string): void {
    const u = this.managed(caller, id);
    if (u.id === caller.user.id) throw new HttpError(409, "conflict", "you cannot remove your own account");
    this.work.apply(
      caller.actor,
      {
        schoolId: u.schoolId,
        action: "user.delete",
        targetKind: "user",
        targetId: u.id,
        detail: { username: u.username },
      },
      () => {
        this.users.delete(u.id);
      },
    );
  }

  /** An account the caller manages; any other is "no such user". */
  private managed({ user }: Caller, id: string): User {
    const u = this.users.get(id);
    if (!u || !managesUser(user, u)) throw notFound("user");
    return u;
  }

  /** The school must exist and a teacher's classrooms must be in it. */
  private checkScope(schoolId: string | undefined, classroomIds: readonly string[]): void {
    if (schoolId !== undefined && !this.schools.get(schoolId)) {
      throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
    }
    classroomIds.forEach((id, i) => {
      if (this.classrooms.get(id)?.schoolId !== schoolId) {
        throw new HttpError(
          400,
          "invalid_input",
          `classroomIds.${String(i)}: no such classroom in this school`,
          `classroomIds.${String(i)}`,
        );
      }
    });
  }
}
