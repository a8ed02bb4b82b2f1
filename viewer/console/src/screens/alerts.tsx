import { useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import type { FleetCamera } from "../components/fleet.js";
import { fieldError } from "../components/form-errors.js";
import { formatTime, useLang, useT, type T } from "../i18n.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { ActionButton, Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";
import { useAction } from "../components/use-action.js";

interface Channel {
  id: string;
  schoolId: string | null;
  kind: "webhook" | "email" | "telegram";
  name: string;
  config: { url?: string; to?: string[]; chatId?: string };
  hasSecret: boolean;
  enabled: boolean;
  createdAt: string;
}

interface Mute {
  id: string;
  cameraId: string;
  cameraName: string;
  schoolId: string | null;
  until: string | null;
  reason: string;
  createdBy: string;
  createdAt: string;
}

type Window =
  | ({ kind: "once"; startsAt: string; endsAt: string } & WindowBase)
  | ({ kind: "weekly"; weekdays: number[]; start: string; end: string } & WindowBase);

interface WindowBase {
  id: string;
  schoolId: string | null;
  cameraId: string | null;
  reason: string;
  createdBy: string;
}

/** The field a refusal names, `to.0` being the `to` field: the shared helper's words under that field. */
function refusal(e: unknown, lang: "id" | "en"): { field: string; text: string } | undefined {
  if (!(e instanceof ApiError) || e.field === undefined) return undefined;
  const text = fieldError(e, e.field, lang);
  return text === undefined ? undefined : { field: e.field.split(".")[0] ?? e.field, text };
}

const schoolName = (schools: readonly School[], id: string | null, t: T) =>
  id === null ? t("Semua sekolah", "Every school") : (schools.find((s) => s.id === id)?.name ?? id);

/** Where alerts go (webhook, e-mail, Telegram), and when they are held back (mutes, maintenance windows). */
export function AlertsScreen() {
  const t = useT();
  return (
    <Page title={t("Peringatan", "Alerts")}>
      <Channels />
      <Mutes />
      <Windows />
    </Page>
  );
}

function Channels() {
  const t = useT();
  const lang = useLang();
  const { schools } = useSession();
  const list = useLoad(() => api.get<{ channels: Channel[] }>("/api/alert-channels"), []);
  const [kind, setKind] = useState<Channel["kind"]>("webhook");
  const [form, setForm] = useState<Record<string, string>>({});
  const { busy, error, setError, run } = useAction();
  const [done, setDone] = useState<string | undefined>(undefined);
  const fe = refusal(error, lang);
  const errFor = (f: string) => (fe?.field === f ? fe.text : undefined);
  const value = (f: string) => form[f] ?? "";
  const set = (f: string) => (e: { currentTarget: { value: string } }) => {
    setForm({ ...form, [f]: e.currentTarget.value });
  };
  const submit = async () => {
    setDone(undefined);
    const common: Record<string, unknown> = {
      kind,
      schoolId: value("schoolId") === "" ? null : value("schoolId"),
      ...(value("name").trim() !== "" && { name: value("name") }),
    };
    const body =
      kind === "webhook"
        ? { ...common, url: value("url"), secret: value("secret") }
        : kind === "email"
          ? {
              ...common,
              to: value("to")
                .split(/[,;\s]+/)
                .filter((x) => x !== ""),
            }
          : { ...common, chatId: value("chatId"), botToken: value("botToken") };
    await run(async () => {
      await api.post("/api/alert-channels", body);
      setForm({});
      setDone(t("Saluran ditambahkan.", "Channel added."));
      await list.reload();
    });
  };
  const address = (c: Channel) => c.config.url ?? c.config.to?.join(", ") ?? c.config.chatId ?? "";
  return (
    <section class="card" aria-labelledby="channels-title">
      <h3 id="channels-title">{t("Saluran peringatan", "Alert channels")}</h3>
      <ErrorNotice error={list.error} />
      {list.data === undefined ? (
        list.error === undefined && <Loading />
      ) : list.data.channels.length === 0 ? (
        <Empty>{t("Belum ada saluran.", "No channels yet.")}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data channels">
            <thead>
              <tr>
                <th scope="col">{t("Nama", "Name")}</th>
                <th scope="col">{t("Jenis", "Kind")}</th>
                <th scope="col">{t("Tujuan", "Destination")}</th>
                <th scope="col">{t("Sekolah", "School")}</th>
                <th scope="col">{t("Tindakan", "Actions")}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.channels.map((c) => (
                <tr key={c.id} data-channel-id={c.id}>
                  <td>
                    {c.name}
                    {!c.enabled && ` (${t("mati", "off")})`}
                  </td>
                  <td>{c.kind}</td>
                  <td class="address">{address(c)}</td>
                  <td>{schoolName(schools, c.schoolId, t)}</td>
                  <td class="actions">
                    <ActionButton
                      onAction={async () => {
                        await api.post(`/api/alert-channels/${seg(c.id)}/test`);
                        setDone(
                          fill2(t("Pesan uji terkirim ke {n}.", "Test message delivered to {n}."), c.name),
                        );
                      }}
                    >
                      {t("Uji", "Test")}
                    </ActionButton>
                    <ActionButton
                      kind="danger"
                      onAction={async () => {
                        await api.delete(`/api/alert-channels/${seg(c.id)}`);
                        await list.reload();
                      }}
                    >
                      {t("Hapus", "Delete")}
                    </ActionButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {done !== undefined && (
        <p class="notice ok" role="status">
          {done}
        </p>
      )}
      <form
        class="channel-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h4>{t("Tambah saluran", "Add a channel")}</h4>
        <Field label={t("Jenis", "Kind")}>
          <select
            name="kind"
            value={kind}
            onChange={(e) => {
              setKind(e.currentTarget.value as Channel["kind"]);
              setError(undefined);
            }}
          >
            <option value="webhook">Webhook</option>
            <option value="email">{t("Surel", "E-mail")}</option>
            <option value="telegram">Telegram</option>
          </select>
        </Field>
        {kind === "webhook" && (
          <>
            <Field label={t("Alamat (URL)", "Address (URL)")} hint="https://…" error={errFor("url")}>
              <input name="url" type="url" required value={value("url")} onInput={set("url")} />
            </Field>
            <Field
              label={t("Rahasia (untuk tanda tangan)", "Secret (for the signature)")}
              hint={t("Minimal 16 karakter", "At least 16 characters")}
              error={errFor("secret")}
            >
              <input
                name="secret"
                type="password"
                autocomplete="off"
                required
                value={value("secret")}
                onInput={set("secret")}
              />
            </Field>
          </>
        )}
        {kind === "email" && (
          <Field
            label={t("Alamat surel", "E-mail addresses")}
            hint={t("Pisahkan dengan koma", "Separate with commas")}
            error={errFor("to")}
          >
            <input name="to" required value={value("to")} onInput={set("to")} />
          </Field>
        )}
        {kind === "telegram" && (
          <>
            <Field label={t("ID obrolan", "Chat id")} hint="-100… / @channel" error={errFor("chatId")}>
              <input name="chatId" required value={value("chatId")} onInput={set("chatId")} />
            </Field>
            <Field label={t("Token bot", "Bot token")} hint="123456:ABC…" error={errFor("botToken")}>
              <input
                name="botToken"
                type="password"
                autocomplete="off"
                required
                value={value("botToken")}
                onInput={set("botToken")}
              />
            </Field>
          </>
        )}
        <Field label={t("Nama (boleh kosong)", "Name (optional)")} error={errFor("name")}>
          <input name="name" value={value("name")} onInput={set("name")} />
        </Field>
        <Field label={t("Sekolah", "School")} error={errFor("schoolId")}>
          <select name="schoolId" value={value("schoolId")} onChange={set("schoolId")}>
            <option value="">{t("Semua sekolah", "Every school")}</option>
            {schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        {error !== undefined && fe === undefined && <ErrorNotice error={error} />}
        {fe !== undefined && (
          <p class="notice error" role="alert">
            {t(
              "Saluran tidak disimpan: periksa isian yang ditandai.",
              "The channel was not saved: check the marked field.",
            )}
          </p>
        )}
        <button type="submit" class="btn primary" disabled={busy}>
          {t("Tambah saluran", "Add channel")}
        </button>
      </form>
    </section>
  );
}

const fill2 = (text: string, n: string) => text.replace("{n}", n);

/** A datetime-local value (the browser's own time) as an ISO instant, or undefined when empty. */
const instantOf = (local: string) => (local === "" ? undefined : new Date(local).toISOString());

function Mutes() {
  const t = useT();
  const lang = useLang();
  const { schools } = useSession();
  const list = useLoad(() => api.get<{ mutes: Mute[] }>("/api/camera-mutes"), []);
  const [schoolId, setSchoolId] = useState("");
  const [cameraId, setCameraId] = useState("");
  const [until, setUntil] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  // The cameras to choose from: read once a school is chosen (the fleet, not every camera's record).
  const fleet = useLoad(
    () =>
      schoolId === ""
        ? Promise.resolve(undefined)
        : api.get<{ cameras: FleetCamera[] }>("/api/fleet").then((f) => f.cameras),
    [schoolId === ""],
  );
  const cameras = (fleet.data ?? []).filter((c) => c.schoolId === schoolId);
  const fe = refusal(error, lang);
  return (
    <section class="card" aria-labelledby="mutes-title">
      <h3 id="mutes-title">{t("Kamera dibisukan", "Muted cameras")}</h3>
      <ErrorNotice error={list.error} />
      {list.data === undefined ? (
        list.error === undefined && <Loading />
      ) : list.data.mutes.length === 0 ? (
        <Empty>{t("Tidak ada kamera yang dibisukan.", "No camera is muted.")}</Empty>
      ) : (
        <ul class="mute-list">
          {list.data.mutes.map((m) => (
            <li key={m.id} data-camera-id={m.cameraId}>
              <span>
                <strong>{m.cameraName}</strong> · {schoolName(schools, m.schoolId, t)} ·{" "}
                {m.until === null
                  ? t("sampai dibuka", "until unmuted")
                  : `${t("sampai", "until")} ${formatTime(m.until, lang)}`}
                {m.reason !== "" && ` · ${m.reason}`}
              </span>
              <ActionButton
                onAction={async () => {
                  await api.delete(`/api/cameras/${seg(m.cameraId)}/mute`);
                  await list.reload();
                }}
              >
                {t("Buka bisu", "Unmute")}
              </ActionButton>
            </li>
          ))}
        </ul>
      )}
      <form
        class="mute-form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          const untilIso = instantOf(until);
          api
            .post(`/api/cameras/${seg(cameraId)}/mute`, {
              ...(untilIso !== undefined && { until: untilIso }),
              ...(reason.trim() !== "" && { reason }),
            })
            .then(async () => {
              setCameraId("");
              setUntil("");
              setReason("");
              await list.reload();
            })
            .catch(setError);
        }}
      >
        <h4>{t("Bisukan kamera", "Mute a camera")}</h4>
        <Field label={t("Sekolah", "School")}>
          <select
            name="muteSchool"
            value={schoolId}
            onChange={(e) => {
              setSchoolId(e.currentTarget.value);
              setCameraId("");
            }}
          >
            <option value="">{t("Pilih sekolah", "Choose a school")}</option>
            {schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("Kamera", "Camera")} error={fe?.field === "cameraId" ? fe.text : undefined}>
          <select
            name="muteCamera"
            required
            value={cameraId}
            disabled={schoolId === ""}
            onChange={(e) => {
              setCameraId(e.currentTarget.value);
            }}
          >
            <option value="">{t("Pilih kamera", "Choose a camera")}</option>
            {cameras.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label={t("Sampai (boleh kosong)", "Until (optional)")}
          hint={t("Kosong: sampai dibuka", "Empty: until unmuted")}
          error={fe?.field === "until" ? fe.text : undefined}
        >
          <input
            name="until"
            type="datetime-local"
            value={until}
            onInput={(e) => {
              setUntil(e.currentTarget.value);
            }}
          />
        </Field>
        <Field
          label={t("Alasan (boleh kosong)", "Reason (optional)")}
          error={fe?.field === "reason" ? fe.text : undefined}
        >
          <input
            name="muteReason"
            value={reason}
            onInput={(e) => {
              setReason(e.currentTarget.value);
            }}
          />
        </Field>
        {error !== undefined && fe === undefined && <ErrorNotice error={error} />}
        <button type="submit" class="btn primary" disabled={cameraId === ""}>
          {t("Bisukan", "Mute")}
        </button>
      </form>
    </section>
  );
}

const weekdayNames: Record<number, { id: string; en: string }> = {
  1: { id: "Sen", en: "Mon" },
  2: { id: "Sel", en: "Tue" },
  3: { id: "Rab", en: "Wed" },
  4: { id: "Kam", en: "Thu" },
  5: { id: "Jum", en: "Fri" },
  6: { id: "Sab", en: "Sat" },
  7: { id: "Min", en: "Sun" },
};

function Windows() {
  const t = useT();
  const lang = useLang();
  const { schools } = useSession();
  const list = useLoad(() => api.get<{ windows: Window[] }>("/api/maintenance-windows"), []);
  const [kind, setKind] = useState<"once" | "weekly">("once");
  const [schoolId, setSchoolId] = useState("");
  const [startsAt, setStartsAt] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const [days, setDays] = useState<number[]>([]);
  const [start, setStart] = useState("22:00");
  const [end, setEnd] = useState("02:00");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const fe = refusal(error, lang);
  const errFor = (f: string) => (fe?.field === f ? fe.text : undefined);
  const when = (w: Window) =>
    w.kind === "once"
      ? `${formatTime(w.startsAt, lang)} – ${formatTime(w.endsAt, lang)}`
      : `${w.weekdays.map((d) => t(weekdayNames[d]?.id ?? "", weekdayNames[d]?.en ?? "")).join(", ")} ${w.start}–${w.end}`;
  return (
    <section class="card" aria-labelledby="windows-title">
      <h3 id="windows-title">{t("Jadwal pemeliharaan", "Maintenance windows")}</h3>
      <ErrorNotice error={list.error} />
      {list.data === undefined ? (
        list.error === undefined && <Loading />
      ) : list.data.windows.length === 0 ? (
        <Empty>{t("Tidak ada jadwal pemeliharaan.", "No maintenance windows.")}</Empty>
      ) : (
        <ul class="window-list">
          {list.data.windows.map((w) => (
            <li key={w.id} data-window-id={w.id}>
              <span>
                <strong>{when(w)}</strong> · {schoolName(schools, w.schoolId, t)}
                {w.reason !== "" && ` · ${w.reason}`}
              </span>
              <ActionButton
                onAction={async () => {
                  await api.delete(`/api/maintenance-windows/${seg(w.id)}`);
                  await list.reload();
                }}
              >
                {t("Akhiri", "End")}
              </ActionButton>
            </li>
          ))}
        </ul>
      )}
      <form
        class="window-form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          const target = {
            schoolId: schoolId === "" ? null : schoolId,
            ...(reason.trim() !== "" && { reason }),
          };
          const body =
            kind === "once"
              ? { kind, ...target, startsAt: instantOf(startsAt) ?? "", endsAt: instantOf(endsAt) ?? "" }
              : { kind, ...target, weekdays: days, start, end };
          api
            .post("/api/maintenance-windows", body)
            .then(async () => {
              setReason("");
              await list.reload();
            })
            .catch(setError);
        }}
      >
        <h4>{t("Tambah jadwal", "Add a window")}</h4>
        <Field label={t("Jenis", "Kind")}>
          <select
            name="windowKind"
            value={kind}
            onChange={(e) => {
              setKind(e.currentTarget.value as "once" | "weekly");
            }}
          >
            <option value="once">{t("Sekali", "Once")}</option>
            <option value="weekly">{t("Tiap minggu", "Weekly")}</option>
          </select>
        </Field>
        <Field label={t("Sekolah", "School")} error={errFor("schoolId")}>
          <select
            name="windowSchool"
            value={schoolId}
            onChange={(e) => {
              setSchoolId(e.currentTarget.value);
            }}
          >
            <option value="">{t("Semua sekolah", "Every school")}</option>
            {schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        {kind === "once" ? (
          <>
            <Field label={t("Mulai", "Starts")} error={errFor("startsAt")}>
              <input
                name="startsAt"
                type="datetime-local"
                required
                value={startsAt}
                onInput={(e) => {
                  setStartsAt(e.currentTarget.value);
                }}
              />
            </Field>
            <Field label={t("Selesai", "Ends")} error={errFor("endsAt")}>
              <input
                name="endsAt"
                type="datetime-local"
                required
                value={endsAt}
                onInput={(e) => {
                  setEndsAt(e.currentTarget.value);
                }}
              />
            </Field>
          </>
        ) : (
          <>
            <fieldset class="weekdays">
              <legend>{t("Hari", "Days")}</legend>
              {[1, 2, 3, 4, 5, 6, 7].map((d) => (
                <label key={d}>
                  <input
                    type="checkbox"
                    checked={days.includes(d)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setDays(on ? [...days, d].sort((a, b) => a - b) : days.filter((x) => x !== d));
                    }}
                  />{" "}
                  {t(weekdayNames[d]?.id ?? "", weekdayNames[d]?.en ?? "")}
                </label>
              ))}
              {errFor("weekdays") !== undefined && (
                <span class="field-error" role="alert">
                  {errFor("weekdays")}
                </span>
              )}
            </fieldset>
            <Field label={t("Dari (waktu sekolah)", "From (school time)")} error={errFor("start")}>
              <input
                name="start"
                type="time"
                required
                value={start}
                onInput={(e) => {
                  setStart(e.currentTarget.value);
                }}
              />
            </Field>
            <Field label={t("Sampai", "To")} error={errFor("end")}>
              <input
                name="end"
                type="time"
                required
                value={end}
                onInput={(e) => {
                  setEnd(e.currentTarget.value);
                }}
              />
            </Field>
          </>
        )}
        <Field label={t("Alasan (boleh kosong)", "Reason (optional)")} error={errFor("reason")}>
          <input
            name="windowReason"
            value={reason}
            onInput={(e) => {
              setReason(e.currentTarget.value);
            }}
          />
        </Field>
        {error !== undefined && fe === undefined && <ErrorNotice error={error} />}
        <button type="submit" class="btn primary">
          {t("Tambah jadwal", "Add window")}
        </button>
      </form>
    </section>
  );
}
