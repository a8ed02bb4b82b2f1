import { useState } from "preact/hooks";
import { api, ApiError, seg } from "../api.js";
import { fieldError, formError } from "../components/form-errors.js";
import { indonesianZones } from "../components/time-zone.js";
import { useAction } from "../components/use-action.js";
import { fill, useLang, useT } from "../i18n.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { Empty, ErrorNotice, Field, Page } from "../ui.js";

interface Draft {
  name: string;
  npsn: string;
  address: string;
  contact: string;
  area: string;
  timeZone: string;
}

const blank: Draft = { name: "", npsn: "", address: "", contact: "", area: "", timeZone: "Asia/Jakarta" };
const fields = ["name", "npsn", "address", "contact", "area", "timeZone"];

const words = {
  npsn: {
    invalid_input: { id: "NPSN terdiri dari 8 angka.", en: "An NPSN is 8 digits." },
    conflict: { id: "Sekolah lain sudah memakai NPSN ini.", en: "Another school already has this NPSN." },
  },
  name: {
    invalid_input: {
      id: 'Nama wajib diisi, tanpa tanda < > ; " ` { } \\.',
      en: 'A name is required, without < > ; " ` { } \\.',
    },
  },
  text: {
    invalid_input: { id: "Tanpa tanda < atau >.", en: "Without < or >." },
  },
};

/** The operator's list of schools: add one (before anything else can be set up), change it, remove it. */
export function SchoolsScreen() {
  const t = useT();
  const { schools, reloadSchools } = useSession();
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  // The form starts empty again after each school added (a new key), and says which one was.
  const [added, setAdded] = useState<{ n: number; name: string } | undefined>(undefined);
  return (
    <Page title={t("Sekolah", "Schools")}>
      <section class="card" aria-labelledby="school-add">
        <h3 id="school-add">{t("Tambah sekolah", "Add a school")}</h3>
        <SchoolForm
          key={added?.n ?? 0}
          initial={blank}
          submitLabel={t("Tambah sekolah", "Add school")}
          onSave={async (d) => {
            const s = await api.post<School>("/api/schools", {
              name: d.name,
              ...(d.npsn.trim() !== "" && { npsn: d.npsn.trim() }),
              address: d.address,
              contact: d.contact,
              area: d.area,
              timeZone: d.timeZone,
            });
            await reloadSchools();
            setAdded({ n: (added?.n ?? 0) + 1, name: s.name });
          }}
        />
        {added !== undefined && (
          <p class="notice ok" role="status">
            {fill(t("Sekolah {name} ditambahkan.", "School {name} added."), { name: added.name })}
          </p>
        )}
      </section>
      {schools.length === 0 ? (
        <Empty>{t("Belum ada sekolah.", "No schools yet.")}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data schools">
            <caption class="visually-hidden">{t("Daftar sekolah", "Schools")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("Nama", "Name")}</th>
                <th scope="col">NPSN</th>
                <th scope="col">{t("Kecamatan", "Area")}</th>
                <th scope="col">{t("Zona waktu", "Time zone")}</th>
                <th scope="col">{t("Alamat", "Address")}</th>
                <th scope="col">{t("Kontak", "Contact")}</th>
                <th scope="col">{t("Tindakan", "Actions")}</th>
              </tr>
            </thead>
            <tbody>
              {schools.map((s) =>
                editing === s.id ? (
                  <tr key={s.id}>
                    <td colSpan={7}>
                      <SchoolForm
                        initial={{
                          name: s.name,
                          npsn: s.npsn ?? "",
                          address: s.address,
                          contact: s.contact,
                          area: s.area,
                          timeZone: s.timeZone,
                        }}
                        submitLabel={t("Simpan", "Save")}
                        onCancel={() => {
                          setEditing(undefined);
                        }}
                        onSave={async (d) => {
                          await api.patch(`/api/schools/${seg(s.id)}`, {
                            name: d.name,
                            npsn: d.npsn.trim() === "" ? null : d.npsn.trim(),
                            address: d.address,
                            contact: d.contact,
                            area: d.area,
                            timeZone: d.timeZone,
                          });
                          await reloadSchools();
                          setEditing(undefined);
                        }}
                      />
                    </td>
                  </tr>
                ) : (
                  <tr key={s.id}>
                    <td>
                      {s.name}
                      {s.demo && <span class="badge muted school-demo">demo</span>}
                    </td>
                    <td>{s.npsn ?? "—"}</td>
                    <td>{s.area || "—"}</td>
                    <td>{s.timeZone}</td>
                    <td>{s.address || "—"}</td>
                    <td>{s.contact || "—"}</td>
                    <td>
                      {removing === s.id ? (
                        <RemoveSchool
                          school={s}
                          onDone={async () => {
                            setRemoving(undefined);
                            await reloadSchools();
                          }}
                          onCancel={() => {
                            setRemoving(undefined);
                          }}
                        />
                      ) : (
                        <div class="actions">
                          <button
                            type="button"
                            class="btn"
                            aria-label={fill(t("Ubah {name}", "Edit {name}"), { name: s.name })}
                            onClick={() => {
                              setEditing(s.id);
                            }}
                          >
                            {t("Ubah", "Edit")}
                          </button>
                          <button
                            type="button"
                            class="btn"
                            aria-label={fill(t("Hapus {name}", "Delete {name}"), { name: s.name })}
                            onClick={() => {
                              setRemoving(s.id);
                            }}
                          >
                            {t("Hapus", "Delete")}
                          </button>
                        </div>
                      )}
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}

function SchoolForm(props: {
  initial: Draft;
  submitLabel: string;
  onSave: (d: Draft) => Promise<void>;
  onCancel?: () => void;
}) {
  const t = useT();
  const lang = useLang();
  const [d, setD] = useState<Draft>(props.initial);
  const { busy, error, run } = useAction();
  const set = (k: keyof Draft) => (e: { currentTarget: { value: string } }) => {
    setD({ ...d, [k]: e.currentTarget.value });
  };
  return (
    <form
      class="school-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void run(() => props.onSave(d));
      }}
    >
      <Field label={t("Nama sekolah", "School name")} error={fieldError(error, "name", lang, words.name)}>
        <input name="name" value={d.name} onInput={set("name")} required maxLength={150} autoComplete="off" />
      </Field>
      <Field
        label="NPSN"
        hint={t("8 angka; boleh dikosongkan.", "8 digits; may be left empty.")}
        error={fieldError(error, "npsn", lang, words.npsn)}
      >
        <input name="npsn" value={d.npsn} onInput={set("npsn")} inputMode="numeric" autoComplete="off" />
      </Field>
      <Field label={t("Alamat", "Address")} error={fieldError(error, "address", lang, words.text)}>
        <input name="address" value={d.address} onInput={set("address")} maxLength={300} />
      </Field>
      <Field
        label={t("Kontak untuk orang tua", "Contact for parents")}
        hint={t(
          "Telepon, WhatsApp atau e-mail; tampil di halaman tautan orang tua.",
          "Phone, WhatsApp or e-mail; shown on the parents' link page.",
        )}
        error={fieldError(error, "contact", lang, words.text)}
      >
        <input name="contact" value={d.contact} onInput={set("contact")} maxLength={150} />
      </Field>
      <Field
        label={t("Kecamatan (wilayah)", "Area (district)")}
        hint={t(
          "Wilayah di kabupaten; dasbor Diskominfo menyaring dan menghitung menurutnya.",
          "The district within the regency; the Diskominfo dashboard filters and counts by it.",
        )}
        error={fieldError(error, "area", lang, words.text)}
      >
        <input name="area" value={d.area} onInput={set("area")} maxLength={100} />
      </Field>
      <Field
        label={t("Zona waktu", "Time zone")}
        hint={t("Jam tayang kelas dihitung di zona ini.", "Viewing hours are counted in this zone.")}
        error={fieldError(error, "timeZone", lang)}
      >
        <select name="timeZone" value={d.timeZone} onChange={set("timeZone")}>
          {indonesianZones.map((z) => (
            <option key={z.zone} value={z.zone}>
              {z.label}
            </option>
          ))}
          {!indonesianZones.some((z) => z.zone === d.timeZone) && (
            <option value={d.timeZone}>{d.timeZone}</option>
          )}
        </select>
      </Field>
      <ErrorNotice error={formError(error, fields)} />
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy} aria-busy={busy}>
          {props.submitLabel}
        </button>
        {props.onCancel !== undefined && (
          <button type="button" class="btn" onClick={props.onCancel}>
            {t("Batal", "Cancel")}
          </button>
        )}
      </div>
    </form>
  );
}

/** Removing asks once more; the gateway keeps a school that still has classrooms, cameras or accounts. */
function RemoveSchool(props: { school: School; onDone: () => Promise<void>; onCancel: () => void }) {
  const t = useT();
  const { busy, error, run } = useAction();
  const conflict = error instanceof ApiError && error.code === "conflict";
  return (
    <div class="confirm" role="group" aria-label={t("Konfirmasi hapus", "Confirm removal")}>
      <p>{fill(t("Hapus sekolah {name}?", "Delete the school {name}?"), { name: props.school.name })}</p>
      {conflict ? (
        <p class="notice error" role="alert">
          {t(
            "Sekolah ini masih punya kelas, kamera, wali atau akun: hapus atau pindahkan dulu.",
            "This school still has classrooms, cameras, guardians or accounts: remove or move them first.",
          )}{" "}
          <span lang="en">({error.message})</span>
        </p>
      ) : (
        <ErrorNotice error={error} />
      )}
      <div class="actions">
        <button
          type="button"
          class="btn danger"
          disabled={busy}
          onClick={() => {
            void run(async () => {
              await api.delete(`/api/schools/${seg(props.school.id)}`);
              await props.onDone();
            });
          }}
        >
          {t("Ya, hapus", "Yes, delete")}
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>
          {t("Batal", "Cancel")}
        </button>
      </div>
    </div>
  );
}
