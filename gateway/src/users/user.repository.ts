import { ConflictError, NotFoundError } from "../common/errors.js";
import { newId } from "../common/ids.js";
import { newSecret, sha256Hex } from "../common/tokens.js";
import type { Db } from "../db/database.js";
import type { Role, User } from "./user.js";

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  role: Role;
  school_id: string | null;
  disabled: number;
  // failed_logins and locked_until (migration 002) are no longer read or written: sign-in tries are
  // counted per address in memory (access/login-throttle.ts), and an account is never locked.
  created_at: string;
  updated_at: string;
}

export interface Credentials {
  user: User;
  passwordHash: string;
}

export interface AdminSession {
  id: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
}

/** Admin accounts and their sign-in sessions; session tokens are stored only as SHA-256 hashes. */
export class UserRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(schoolId?: string): User[] {
    const rows = (
      schoolId === undefined
        ? this.db.prepare("SELECT * FROM users ORDER BY username").all()
        : this.db.prepare("SELECT * FROM users WHERE school_id = ? ORDER BY username").all(schoolId)
    ) as UserRow[];
    // Every teacher's classrooms in one read, not one per user.
    const grants = new Map<string, string[]>();
    for (const g of this.db
      .prepare("SELECT user_id, classroom_id FROM user_classrooms ORDER BY classroom_id")
      .all() as { user_id: string; classroom_id: string }[]) {
      grants.set(g.user_id, [...(grants.get(g.user_id) ?? []), g.classroom_id]);
    }
    return rows.map((r) => this.toUser(r, grants.get(r.id) ?? []));
  }

  get(id: string): User | undefined {
    const row = this.db.prepare("SELECT * FROM users WHERE id = ?").get(id) as UserRow | undefined;
    return row && this.toUser(row);
  }

  count(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n;
  }

  credentials(username: string): Credentials | undefined {
    const row = this.db.prepare("SELECT * FROM users WHERE username = ?").get(username) as
      UserRow | undefined;
    return row && { user: this.toUser(row), passwordHash: row.password_hash };
  }

  create(
    input: {
      username: string;
      displayName: string;
      role: Role;
      schoolId?: string | undefined;
      classroomIds?: string[];
    },
    passwordHash: string,
  ): User {
    if (this.credentials(input.username)) {
      throw new ConflictError(`username "${input.username}" is taken`, "username");
    }
    const id = newId("usr");
    const at = this.stamp();
    this.db
      .prepare(
        `INSERT INTO users (id, username, display_name, password_hash, role, school_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, input.username, input.displayName, passwordHash, input.role, input.schoolId ?? null, at, at);
    this.setClassrooms(id, input.classroomIds ?? []);
    return this.get(id) as User;
  }

  update(
    id: string,
    patch: {
      displayName?: string | undefined;
      disabled?: boolean | undefined;
      classroomIds?: string[] | undefined;
    },
    passwordHash?: string,
  ): User {
    const current = this.get(id);
    if (!current) throw new NotFoundError(`user ${id} does not exist`);
    this.db
      .prepare(
        `UPDATE users SET display_name = ?, disabled = ?, password_hash = coalesce(?, password_hash),
           updated_at = ? WHERE id = ?`,
      )
      .run(
        patch.displayName ?? current.displayName,
        Number(patch.disabled ?? current.disabled),
        passwordHash ?? null,
        this.stamp(),
        id,
      );
    if (patch.classroomIds) this.setClassrooms(id, patch.classroomIds);
    return this.get(id) as User;
  }

  delete(id: string): void {
    const r = this.db.prepare("DELETE FROM users WHERE id = ?").run(id);
    if (r.changes === 0) throw new NotFoundError(`user ${id} does not exist`);
  }

  createSession(
    userId: string,
    lifetimeMs: number,
    ip: string | undefined,
  ): { session: AdminSession; token: string } {
    const token = newSecret();
    const id = newId("as");
    const at = this.now();
    this.db
      .prepare(
        "INSERT INTO admin_sessions (id, token_hash, user_id, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(
        id,
        sha256Hex(token),
        userId,
        at.toISOString(),
        new Date(at.getTime() + lifetimeMs).toISOString(),
        ip ?? null,
      );
    return {
      session: {
        id,
        userId,
        createdAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + lifetimeMs).toISOString(),
      },
      token,
    };
  }

  /** All unexpired sessions, for the in-memory access state. */
  liveSessions(): AdminSession[] {
    return this.db
      .prepare(
        "SELECT id, user_id AS userId, created_at AS createdAt, expires_at AS expiresAt FROM admin_sessions WHERE expires_at > ?",
      )
      .all(this.stamp()) as AdminSession[];
  }

  sessionByToken(token: string): AdminSession | undefined {
    return this.db
      .prepare(
        "SELECT id, user_id AS userId, created_at AS createdAt, expires_at AS expiresAt FROM admin_sessions WHERE token_hash = ?",
      )
      .get(sha256Hex(token)) as AdminSession | undefined;
  }

  deleteSession(id: string): void {
    this.db.prepare("DELETE FROM admin_sessions WHERE id = ?").run(id);
  }

  deleteSessionsOf(userId: string): void {
    this.db.prepare("DELETE FROM admin_sessions WHERE user_id = ?").run(userId);
  }

  purgeExpiredSessions(): number {
    return this.db.prepare("DELETE FROM admin_sessions WHERE expires_at <= ?").run(this.stamp()).changes;
  }

  private setClassrooms(userId: string, classroomIds: readonly string[]): void {
    this.db.prepare("DELETE FROM user_classrooms WHERE user_id = ?").run(userId);
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO user_classrooms (user_id, classroom_id) VALUES (?, ?)",
    );
    for (const c of classroomIds) insert.run(userId, c);
  }

  private classroomsOf(userId: string): string[] {
    return (
      this.db
        .prepare("SELECT classroom_id FROM user_classrooms WHERE user_id = ? ORDER BY classroom_id")
        .all(userId) as { classroom_id: string }[]
    ).map((x) => x.classroom_id);
  }

  private toUser(r: UserRow, classroomIds = this.classroomsOf(r.id)): User {
    return {
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      role: r.role,
      schoolId: r.school_id,
      classroomIds,
      disabled: r.disabled === 1,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private stamp(): string {
    return this.now().toISOString();
  }
}
