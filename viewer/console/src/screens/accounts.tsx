import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { fieldError, formError } from "../components/form-errors.js";
import { useAction } from "../components/use-action.js";
import { fill, useLang, useT, type T } from "../i18n.js";
import { replaceQuery, type Route } from "../router.js";
import { useSession } from "../session.js";
import type { Role, School, User } from "../types.js";
import { Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

interface Room {
  id: string;
  name: string;
}

/** The rules of users/user.ts, told before the gateway has to refuse them. */
const rules = {
  username: {
    id: "3–64 huruf, angka, atau . _ @ - (tanpa spasi).",
    en: "3–64 letters, digits or . _ @ - (no spaces).",
  },
  password: { id: "Paling sedikit 10 karakter.", en: "At least 10 characters." },
};

const words = {
  username: {
    invalid_input: rules.username,
    conflict: { id: "Nama pengguna ini sudah dipakai.", en: "This username is taken." },
  },
  password: { invalid_input: rules.password },
  displayName: {
    invalid_input: {
      id: 'Nama wajib diisi, tanpa tanda < > ; " ` { } \\.',
      en: 'A name is required, without < > ; " ` { } \\.',
    },
  },
  schoolId: {
    invalid_input: { id: "Pilih sekolahnya.", en: "Choose the school." },
  },
};

const fields = ["username", "password", "displayName", "role", "schoolId", "classroomIds"];

function roleText(role: Role, t: T): string {
  switch (role) {
    case "operator":
      return t("Operator Diskominfo", "Diskominfo operator");
    case "school_admin":
      return t("Admin sekolah", "School admin");
    case "teacher":
      return t("Guru", "Teacher");
  }
}

/** Accounts of the school (an operator: of every school, with a filter): add, disable, new password, rooms. */
export function AccountsScreen(props: { route: Route }) {
  const t = useT();
  const { user: me, schools, school } = useSession();
  const operator = me.role === "operator";
  // An operator filters by school (the one chosen above, unless the filter says otherwise).
  const filter = operator ? (props.route.query.get("school") ?? school?.id ?? "all") : (me.schoolId ?? "");
  const users = useLoad(() => api.get<{ users: User[] }>("/api/users"), []);
  const shown = (users.data?.users ?? []).filter(
    (u) => filter === "all" || (filter === "none" ? u.schoolId === null : u.schoolId === filter),
  );
  const schoolName = (id: string | null) =>
    id === null ? t("Semua sekolah", "All schools") : (schools.find((s) => s.id === id)?.name ?? id);
  return (
    <Page title={t("Akun", "Accounts")}>
      <AddAccount
        me={me}
        schools={schools}
        defaultSchool={filter === "none" || filter === "all" ? "" : filter}
        onAdded={users.reload}
      />
      {operator && (
        <Field label={t("Tampilkan akun", "Show accounts of")}>
          <select
            name="school-filter"
            value={filter}
            onChange={(e) => {
              replaceQuery({ school: e.currentTarget.value });
            }}
          >
            <option value="all">{t("Semua sekolah", "All schools")}</option>
            <option value="none">{t("Operator (tanpa sekolah)", "Operators (no school)")}</option>
            {schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      <ErrorNotice error={users.error} />
      {users.data === undefined ? (
        users.loading && <Loading />
      ) : shown.length === 0 ? (
        <Empty>{t("Belum ada akun di sini.", "No accounts here yet.")}</Empty>
      ) : (
        <ul class="accounts">
          {shown.map((u) => (
            <AccountRow
              key={u.id}
              account={u}
              me={me}
              schoolName={schoolName(u.schoolId)}
              onChanged={users.reload}
            />
          ))}
        </ul>
      )}
    </Page>
  );
}

function AddAccount(props: {
  me: User;
  schools: School[];
  defaultSchool: string;
  onAdded: () => Promise<void>;
}) {
  const t = useT();
  const lang = useLang();
  const operator = props.me.role === "operator";
  const empty = {
    username: "",
    displayName: "",
    password: "",
    role: "teacher" as Role,
    schoolId: operator ? props.defaultSchool : (props.me.schoolId ?? ""),
    classroomIds: [] as string[],
  };
  const [d, setD] = useState(empty);
  const [added, setAdded] = useState<string | undefined>(undefined);
  const { busy, error, run } = useAction();
  const rooms = useRooms(d.role === "teacher" ? d.schoolId : "");
  return (
    <form
      class="card add-account"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setAdded(undefined);
        void run(async () => {
          await api.post("/api/users", {
            username: d.username,
            displayName: d.displayName,
            password: d.password,
            role: d.role,
            ...(d.role !== "operator" && d.schoolId !== "" && { schoolId: d.schoolId }),
            ...(d.role === "teacher" && { classroomIds: d.classroomIds }),
          });
          setAdded(d.username);
          setD({ ...empty, role: d.role, schoolId: d.schoolId });
          await props.onAdded();
        });
      }}
    >
      <h3>{t("Tambah akun", "Add an account")}</h3>
      <Field
        label={t("Nama pengguna", "Username")}
        hint={rules.username[lang]}
        error={fieldError(error, "username", lang, words.username)}
      >
        <input
          name="new-username"
          value={d.username}
          autoComplete="off"
          autoCapitalize="none"
          onInput={(e) => {
            setD({ ...d, username: e.currentTarget.value });
          }}
        />
      </Field>
      <Field
        label={t("Nama tampilan", "Display name")}
        error={fieldError(error, "displayName", lang, words.displayName)}
      >
        <input
          name="new-display-name"
          value={d.displayName}
          onInput={(e) => {
            setD({ ...d, displayName: e.currentTarget.value });
          }}
        />
      </Field>
      <Field label={t("Peran", "Role")} error={fieldError(error, "role", lang)}>
        <select
          name="new-role"
          value={d.role}
          onChange={(e) => {
            setD({ ...d, role: e.currentTarget.value as Role, classroomIds: [] });
          }}
        >
          <option value="teacher">{roleText("teacher", t)}</option>
          <option value="school_admin">{roleText("school_admin", t)}</option>
          {operator && <option value="operator">{roleText("operator", t)}</option>}
        </select>
      </Field>
      {operator && d.role !== "operator" && (
        <Field label={t("Sekolah", "School")} error={fieldError(error, "schoolId", lang, words.schoolId)}>
          <select
            name="new-school"
            value={d.schoolId}
            onChange={(e) => {
              setD({ ...d, schoolId: e.currentTarget.value, classroomIds: [] });
            }}
          >
            <option value="">{t("— pilih sekolah —", "— choose a school —")}</option>
            {props.schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      {d.role === "teacher" && d.schoolId !== "" && (
        <RoomChoice
          legend={t("Kelas guru ini", "This teacher's classrooms")}
          rooms={rooms}
          chosen={d.classroomIds}
          onChange={(ids) => {
            setD({ ...d, classroomIds: ids });
          }}
        />
      )}
      <Field
        label={t("Kata sandi", "Password")}
        hint={rules.password[lang]}
        error={fieldError(error, "password", lang, words.password)}
      >
        <input
          type="password"
          name="new-password"
          autoComplete="new-password"
          value={d.password}
          onInput={(e) => {
            setD({ ...d, password: e.currentTarget.value });
          }}
        />
      </Field>
      <ErrorNotice error={formError(error, fields)} />
      {added !== undefined && (
        <p class="notice ok" role="status">
          {fill(t("Akun {u} dibuat.", "Account {u} created."), { u: added })}
        </p>
      )}
      <button type="submit" class="btn primary" disabled={busy}>
        {t("Tambah akun", "Add account")}
      </button>
    </form>
  );
}

/** The classrooms of a school, for a teacher's choice ("" = none yet). */
function useRooms(schoolId: string): Room[] | undefined {
  const r = useLoad(
    async () =>
      schoolId === ""
        ? { classrooms: [] }
        : api.get<{ classrooms: Room[] }>(`/api/schools/${seg(schoolId)}/classrooms`),
    [schoolId],
  );
  return r.data?.classrooms;
}

function RoomChoice(props: {
  legend: string;
  rooms: Room[] | undefined;
  chosen: readonly string[];
  onChange: (ids: string[]) => void;
}) {
  const t = useT();
  return (
    <fieldset class="room-choice">
      <legend>{props.legend}</legend>
      {props.rooms === undefined ? (
        <Loading />
      ) : props.rooms.length === 0 ? (
        <Empty>{t("Sekolah ini belum punya kelas.", "This school has no classrooms yet.")}</Empty>
      ) : (
        props.rooms.map((r) => (
          <label key={r.id} class="check">
            <input
              type="checkbox"
              value={r.id}
              checked={props.chosen.includes(r.id)}
              onChange={(e) => {
                props.onChange(
                  e.currentTarget.checked
                    ? [...props.chosen, r.id]
                    : props.chosen.filter((id) => id !== r.id),
                );
              }}
            />
            {r.name}
          </label>
        ))
      )}
    </fieldset>
  );
}

function AccountRow(props: { account: User; me: User; schoolName: string; onChanged: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const u = props.account;
  const [mode, setMode] = useState<"show" | "password" | "rooms">("show");
  const [password, setPassword] = useState("");
  const [rooms, setRooms] = useState<string[]>(u.classroomIds);
  const [done, setDone] = useState<string | undefined>(undefined);
  const { busy, error, run } = useAction();
  const schoolRooms = useRooms(u.role === "teacher" && u.schoolId !== null ? u.schoolId : "");
  const self = u.id === props.me.id;
  const patch = (body: Record<string, unknown>, message: string) =>
    run(async () => {
      await api.patch(`/api/users/${seg(u.id)}`, body);
      setDone(message);
      setMode("show");
      await props.onChanged();
    });
  return (
    <li class="card account" data-username={u.username}>
      <div class="account-head">
        <strong>{u.displayName}</strong> <span class="account-username">{u.username}</span>
        <span class="badge muted">{roleText(u.role, t)}</span>
        {u.disabled && <span class="badge bad">{t("Nonaktif", "Disabled")}</span>}
      </div>
      <p class="account-school">{props.schoolName}</p>
      {u.role === "teacher" && (
        <p class="account-rooms">
          {t("Kelas", "Classrooms")}:{" "}
          {u.classroomIds.length === 0
            ? t("belum ada", "none yet")
            : u.classroomIds.map((id) => schoolRooms?.find((r) => r.id === id)?.name ?? id).join(", ")}
        </p>
      )}
      {done !== undefined && (
        <p class="notice ok" role="status">
          {done}
        </p>
      )}
      {mode === "password" && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void patch(
              { password },
              t(
                "Kata sandi baru disimpan; sesi akun ini diakhiri.",
                "New password saved; this account's sessions ended.",
              ),
            ).then(() => {
              setPassword("");
            });
          }}
        >
          <Field
            label={fill(t("Kata sandi baru untuk {u}", "New password for {u}"), { u: u.username })}
            hint={rules.password[lang]}
            error={fieldError(error, "password", lang, words.password)}
          >
            <input
              type="password"
              name="reset-password"
              autoComplete="new-password"
              value={password}
              onInput={(e) => {
                setPassword(e.currentTarget.value);
              }}
            />
          </Field>
          <div class="actions">
            <button type="submit" class="btn primary" disabled={busy}>
              {t("Simpan kata sandi", "Save password")}
            </button>
            <button
              type="button"
              class="btn"
              onClick={() => {
                setMode("show");
              }}
            >
              {t("Batal", "Cancel")}
            </button>
          </div>
        </form>
      )}
      {mode === "rooms" && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void patch({ classroomIds: rooms }, t("Kelas guru disimpan.", "Teacher's classrooms saved."));
          }}
        >
          <RoomChoice
            legend={fill(t("Kelas {u}", "Classrooms of {u}"), { u: u.displayName })}
            rooms={schoolRooms}
            chosen={rooms}
            onChange={setRooms}
          />
          <div class="actions">
            <button type="submit" class="btn primary" disabled={busy}>
              {t("Simpan kelas", "Save classrooms")}
            </button>
            <button
              type="button"
              class="btn"
              onClick={() => {
                setMode("show");
              }}
            >
              {t("Batal", "Cancel")}
            </button>
          </div>
        </form>
      )}
      <ErrorNotice error={formError(error, mode === "password" ? ["password"] : [])} />
      {mode === "show" && (
        <div class="actions">
          {!self && (
            <button
              type="button"
              class="btn"
              disabled={busy}
              aria-label={fill(
                u.disabled ? t("Aktifkan {u}", "Enable {u}") : t("Nonaktifkan {u}", "Disable {u}"),
                { u: u.username },
              )}
              onClick={() => {
                void patch(
                  { disabled: !u.disabled },
                  u.disabled
                    ? t("Akun diaktifkan lagi.", "Account enabled again.")
                    : t("Akun dinonaktifkan; sesinya diakhiri.", "Account disabled; its sessions ended."),
                );
              }}
            >
              {u.disabled ? t("Aktifkan", "Enable") : t("Nonaktifkan", "Disable")}
            </button>
          )}
          <button
            type="button"
            class="btn"
            aria-label={fill(t("Atur ulang kata sandi {u}", "Reset password of {u}"), { u: u.username })}
            onClick={() => {
              setDone(undefined);
              setMode("password");
            }}
          >
            {t("Atur ulang kata sandi", "Reset password")}
          </button>
          {u.role === "teacher" && (
            <button
              type="button"
              class="btn"
              aria-label={fill(t("Atur kelas {u}", "Set classrooms of {u}"), { u: u.username })}
              onClick={() => {
                setDone(undefined);
                setRooms(u.classroomIds);
                setMode("rooms");
              }}
            >
              {t("Atur kelas", "Set classrooms")}
            </button>
          )}
        </div>
      )}
    </li>
  );
}
