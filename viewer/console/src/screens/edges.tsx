import { useEffect, useRef, useState } from "preact/hooks";
import type { ClassroomJson } from "../components/camera-types.js";
import { api, seg } from "../api.js";
import { ConfirmAction } from "../components/confirm-action.js";
import {
  agoWords,
  edgeConfigLines,
  edgeServers,
  seedFileCommands,
  seedPath,
  type CreatedEdge,
  type EdgeCameraJson,
  type EdgeJson,
} from "../components/edge-types.js";
import { fieldError, formError } from "../components/form-errors.js";
import { stateWords } from "../components/health-words.js";
import { CopyField } from "../components/link-share.js";
import { useAction } from "../components/use-action.js";
import { fill, formatTime, useLang, useT } from "../i18n.js";
import { href } from "../router.js";
import { useSession } from "../session.js";
import type { School } from "../types.js";
import { Badge, Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

/** The list follows the edges' heartbeats (every 2 s at the hub) this often. */
const refreshMs = 5000;

/**
 * The schools' edge gateways (hub): online or not, their version, last contact, cameras and link quality,
 * refreshed while open. An operator adds an edge (its credentials are shown once) and removes one; a school
 * admin sees their school's.
 */
export function EdgesScreen() {
  const t = useT();
  const { user, schools } = useSession();
  const operator = user.role === "operator";
  const { data, error, loading, reload } = useLoad(
    async () => (await api.get<{ edges: EdgeJson[] }>("/api/edges")).edges,
    [],
  );
  const [created, setCreated] = useState<CreatedEdge | undefined>(undefined);
  /** The edge whose cameras are open for adoption. */
  const [adopting, setAdopting] = useState<string | undefined>(undefined);
  useEffect(() => {
    const id = setInterval(() => {
      void reload();
    }, refreshMs);
    return () => {
      clearInterval(id);
    };
  }, [reload]);
  const bySchool = new Map(schools.map((s) => [s.id, s]));
  return (
    <Page title={t("Edge sekolah", "School edges")}>
      <p class="hint">
        {t(
          "Edge adalah gateway di sekolah: ia menyimpan kamera dan kata sandinya, dan mengirim gambar ke hub ini hanya saat ada yang menonton.",
          "An edge is the gateway at a school: it keeps the cameras and their passwords, and sends pictures to this hub only while someone watches.",
        )}
      </p>
      {operator && (
        <AddEdge
          schools={schools}
          onCreated={async (c) => {
            setCreated(c);
            await reload();
          }}
        />
      )}
      {created !== undefined && (
        <Credentials
          created={created}
          onClose={() => {
            setCreated(undefined);
          }}
        />
      )}
      <ErrorNotice error={error} />
      {data === undefined && loading && <Loading />}
      {data !== undefined &&
        (data.length === 0 ? (
          <Empty>
            {operator
              ? t(
                  "Belum ada edge. Tambahkan satu untuk sekolah yang kameranya di belakang NAT.",
                  "No edges yet. Add one for a school whose cameras sit behind NAT.",
                )
              : t("Sekolah ini belum punya gateway edge.", "This school has no edge gateway.")}
          </Empty>
        ) : (
          <EdgeTable
            edges={data}
            schools={bySchool}
            operator={operator}
            manages={user.role !== "teacher"}
            adopting={adopting}
            onAdopt={setAdopting}
            onChanged={reload}
          />
        ))}
      {data
        ?.filter((e) => e.id === adopting && e.link.online)
        .map((e) => (
          <EdgeCameras
            key={e.id}
            edge={e}
            onClose={() => {
              setAdopting(undefined);
            }}
          />
        ))}
    </Page>
  );
}

function EdgeTable(props: {
  edges: EdgeJson[];
  schools: ReadonlyMap<string, School>;
  operator: boolean;
  /** Operators and the school's admins adopt an edge's cameras. */
  manages: boolean;
  adopting: string | undefined;
  onAdopt: (edgeId: string | undefined) => void;
  onChanged: () => Promise<void>;
}) {
  const t = useT();
  const lang = useLang();
  const now = Date.now();
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="edges-caption">
      <table class="data edges">
        <caption id="edges-caption">{t("Edge dan tautannya sekarang", "Edges and their link now")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("Nama", "Name")}</th>
            <th scope="col">{t("Status", "Status")}</th>
            <th scope="col">{t("Kontak terakhir", "Last contact")}</th>
            <th scope="col">{t("Sekolah", "School")}</th>
            <th scope="col">{t("Versi", "Version")}</th>
            <th scope="col">{t("Kamera", "Cameras")}</th>
            <th scope="col">{t("Kualitas tautan", "Link quality")}</th>
            {props.operator && <th scope="col">{t("Tindakan", "Actions")}</th>}
          </tr>
        </thead>
        <tbody>
          {props.edges.map((e) => {
            const school = props.schools.get(e.schoolId);
            const { link } = e;
            const relay = link.relay;
            return (
              <tr key={e.id} data-edge={e.id}>
                <th scope="row" class="edge-name">
                  {e.name}
                  <br />
                  <span class="hint edge-id">{e.id}</span>
                </th>
                <td class="edge-state">
                  {link.online ? (
                    <Badge tone="ok">{t("Terhubung", "Online")}</Badge>
                  ) : (
                    <Badge tone={link.lastContactAt === null ? "muted" : "bad"}>
                      {link.lastContactAt === null
                        ? t("Belum pernah terhubung", "Never connected")
                        : t("Terputus", "Offline")}
                    </Badge>
                  )}
                </td>
                <td class="edge-contact">
                  {link.lastContactAt === null ? (
                    "—"
                  ) : (
                    <time dateTime={link.lastContactAt}>
                      {agoWords(link.lastContactAt, now, lang)}
                      <br />
                      <span class="hint">{formatTime(link.lastContactAt, lang, school?.timeZone)}</span>
                    </time>
                  )}
                </td>
                <td class="edge-school">{school?.name ?? "—"}</td>
                <td class="edge-version">{link.version ?? "—"}</td>
                <td class="edge-cameras">
                  {link.online ? link.cameras : "—"}
                  {link.online && props.manages && (
                    <>
                      <br />
                      <button
                        type="button"
                        class="btn plain"
                        aria-expanded={props.adopting === e.id}
                        aria-controls="edge-cameras"
                        onClick={() => {
                          props.onAdopt(props.adopting === e.id ? undefined : e.id);
                        }}
                      >
                        {t("Kamera di edge", "Cameras at the edge")}
                        <span class="visually-hidden"> {e.name}</span>
                      </button>
                    </>
                  )}
                </td>
                <td class="edge-link">
                  {link.online ? (
                    <ul class="link-facts">
                      <li>
                        {fill(t("Waktu bolak-balik {n} ms", "Round trip {n} ms"), {
                          n: link.rttMs === null ? "—" : Math.round(link.rttMs),
                        })}
                      </li>
                      <li>
                        {fill(t("Aliran diteruskan: {n}", "Relayed streams: {n}"), {
                          n: relay?.activeRenditions ?? 0,
                        })}
                      </li>
                      <li>
                        {fill(t("Fragmen dibuang: {n}", "Dropped fragments: {n}"), {
                          n: relay?.droppedFragments ?? 0,
                        })}
                      </li>
                    </ul>
                  ) : (
                    "—"
                  )}
                </td>
                {props.operator && (
                  <td>
                    <ConfirmAction
                      label={t("Hapus", "Remove")}
                      labelDetail={e.name}
                      question={fill(
                        t(
                          "Hapus {name}? Kuncinya langsung ditolak: edge terputus seketika dan kamera sekolah ini tidak dapat ditonton lewat hub.",
                          "Remove {name}? Its key is refused at once: the edge is cut off now and this school's cameras cannot be watched through the hub.",
                        ),
                        { name: e.name },
                      )}
                      confirmLabel={t("Ya, hapus", "Yes, remove")}
                      onConfirm={async () => {
                        await api.delete(`/api/edges/${seg(e.id)}`);
                        await props.onChanged();
                      }}
                    />
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * An online edge's cameras the hub does not have yet: those a school registered at its gateway while it ran
 * standalone. Adopting one makes the hub's record of it in the chosen classroom (its source and password stay
 * at the edge); it is in the Cameras screen from then on.
 */
function EdgeCameras(props: { edge: EdgeJson; onClose: () => void }) {
  const t = useT();
  const { edge } = props;
  const { data, error, loading, reload } = useLoad(async () => {
    const [cameras, classrooms] = await Promise.all([
      api.get<{ cameras: EdgeCameraJson[] }>(`/api/edges/${seg(edge.id)}/cameras`),
      api.get<{ classrooms: ClassroomJson[] }>(`/api/schools/${seg(edge.schoolId)}/classrooms`),
    ]);
    return { cameras: cameras.cameras, classrooms: classrooms.classrooms };
  }, [edge.id, edge.schoolId]);
  const [adopted, setAdopted] = useState<string[]>([]);
  const waiting = data?.cameras.filter((c) => !c.atHub) ?? [];
  return (
    <section class="card edge-cameras" id="edge-cameras" aria-labelledby="edge-cameras-title">
      <h3 id="edge-cameras-title">{fill(t("Kamera di {name}", "Cameras at {name}"), { name: edge.name })}</h3>
      <p class="hint">
        {t(
          "Kamera yang didaftarkan di gateway sekolah sebelum ia menjadi edge belum ada di hub. Daftarkan di hub untuk memilih kelasnya: sumber dan kata sandinya tetap di edge. Kelas dan wali dibuat di hub.",
          "Cameras registered at the school's gateway before it became an edge are not at the hub yet. Adopt one to choose its classroom: its source and password stay at the edge. Classrooms and guardians are made at the hub.",
        )}
      </p>
      <ErrorNotice error={error} />
      {data === undefined && loading && <Loading />}
      {adopted.length > 0 && (
        <p class="notice ok" role="status">
          {fill(t("{n} kamera sudah ada di hub. ", "{n} camera(s) now at the hub. "), { n: adopted.length })}
          <a href={href("/cameras")}>{t("Lihat di Kamera", "See them in Cameras")}</a>
        </p>
      )}
      {data !== undefined &&
        (waiting.length === 0 ? (
          <Empty>
            {t("Semua kamera edge ini sudah ada di hub.", "Every camera of this edge is at the hub already.")}
          </Empty>
        ) : (
          <ul class="edge-camera-list">
            {waiting.map((c) => (
              <AdoptCamera
                key={c.id}
                edge={edge}
                camera={c}
                classrooms={data.classrooms}
                onAdopted={async () => {
                  setAdopted((a) => [...a, c.id]);
                  await reload();
                }}
              />
            ))}
          </ul>
        ))}
      <div class="actions">
        <button type="button" class="btn plain" onClick={props.onClose}>
          {t("Tutup", "Close")}
        </button>
      </div>
    </section>
  );
}

/** One camera waiting at the edge: its state there, a classroom to put it in, and Adopt (asked twice). */
function AdoptCamera(props: {
  edge: EdgeJson;
  camera: EdgeCameraJson;
  classrooms: ClassroomJson[];
  onAdopted: () => Promise<void>;
}) {
  const t = useT();
  const lang = useLang();
  const { camera } = props;
  const [classroomId, setClassroomId] = useState("");
  const { error, run } = useAction();
  const state = stateWords[camera.state];
  const room = props.classrooms.find((r) => r.id === classroomId);
  return (
    <li class="edge-camera" data-edge-camera={camera.id}>
      <span class="edge-camera-name">
        <strong>{camera.name}</strong> <Badge tone={state.tone}>{state[lang]}</Badge>
        <br />
        <span class="hint edge-id">{camera.id}</span>
      </span>
      <Field
        label={t("Kelas", "Classroom")}
        hint={t(
          "Orang tua kelas ini dapat menontonnya pada jam tayang kelas.",
          "Guardians of this classroom can watch it in the classroom's viewing hours.",
        )}
        error={fieldError(error, "classroomId", lang)}
      >
        <select
          name="classroomId"
          value={classroomId}
          onChange={(e) => {
            setClassroomId(e.currentTarget.value);
          }}
        >
          <option value="">
            {t("Tanpa kelas (belum ditonton orang tua)", "No classroom (no guardian sees it)")}
          </option>
          {props.classrooms.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
      <ConfirmAction
        label={t("Daftarkan di hub", "Adopt at the hub")}
        labelDetail={camera.name}
        question={
          room === undefined
            ? fill(t("Daftarkan {name} di hub tanpa kelas?", "Adopt {name} at the hub, in no classroom?"), {
                name: camera.name,
              })
            : fill(
                t(
                  "Daftarkan {name} di hub, di {room}? Orang tua kelas itu dapat menontonnya.",
                  "Adopt {name} at the hub, in {room}? That classroom's guardians can watch it.",
                ),
                { name: camera.name, room: room.name },
              )
        }
        confirmLabel={t("Ya, daftarkan", "Yes, adopt")}
        onConfirm={async () => {
          const ok = await run(() =>
            api.post(`/api/edges/${seg(props.edge.id)}/cameras/${seg(camera.id)}/adopt`, {
              ...(classroomId !== "" && { classroomId }),
            }),
          );
          if (ok) await props.onAdopted();
        }}
      />
      <ErrorNotice error={formError(error, ["classroomId"])} />
    </li>
  );
}

/** The operator's form: the edge's name and the school it serves (one edge per school). */
function AddEdge(props: { schools: School[]; onCreated: (c: CreatedEdge) => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const { school } = useSession();
  const [name, setName] = useState("");
  const [schoolId, setSchoolId] = useState(school?.id ?? "");
  const { busy, error, run } = useAction();
  return (
    <section class="card" aria-labelledby="edge-add">
      <h3 id="edge-add">{t("Tambah edge", "Add an edge")}</h3>
      <form
        class="edge-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const made = await api.post<CreatedEdge>("/api/edges", { name, schoolId });
            setName("");
            await props.onCreated(made);
          });
        }}
      >
        <Field
          label={t("Nama edge", "Edge name")}
          hint={t("Misalnya SDN 1 Sukamaju edge.", "E.g. SDN 1 Sukamaju edge.")}
          error={fieldError(error, "name", lang, {
            invalid_input: {
              id: 'Nama wajib diisi, tanpa tanda < > ; " ` { } \\.',
              en: 'A name is required, without < > ; " ` { } \\.',
            },
          })}
        >
          <input
            name="name"
            required
            maxLength={100}
            autocomplete="off"
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
            }}
          />
        </Field>
        <Field
          label={t("Sekolah", "School")}
          hint={t("Satu edge untuk satu sekolah.", "One edge per school.")}
          error={fieldError(error, "schoolId", lang)}
        >
          <select
            name="schoolId"
            required
            value={schoolId}
            onChange={(e) => {
              setSchoolId(e.currentTarget.value);
            }}
          >
            <option value="">{t("Pilih sekolah", "Choose a school")}</option>
            {props.schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <ErrorNotice error={formError(error, ["name", "schoolId"])} />
        <div class="actions">
          <button type="submit" class="btn primary" disabled={busy}>
            {t("Buat edge", "Create edge")}
          </button>
        </div>
      </form>
    </section>
  );
}

/**
 * The edge's credentials, once: its id and NATS seed with Copy buttons, and what the installer does with them
 * at the school. A modal dialog: it is closed on purpose, after the seed was saved somewhere.
 */
function Credentials(props: { created: CreatedEdge; onClose: () => void }) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  const { edge, credentials } = props.created;
  useEffect(() => {
    const d = ref.current;
    if (d !== null && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      class="credentials"
      aria-labelledby="credentials-title"
      onClose={() => {
        props.onClose();
      }}
    >
      <h3 id="credentials-title">
        {fill(t("Kredensial {name}", "Credentials of {name}"), { name: edge.name })}
      </h3>
      <p class="notice error" role="alert">
        {t(
          "Seed ini hanya ditampilkan sekarang. Hub tidak menyimpannya: bila hilang, hapus edge ini dan buat lagi.",
          "This seed is shown only now. The hub does not keep it: if it is lost, remove this edge and create it again.",
        )}
      </p>
      <CopyField label={t("ID edge", "Edge id")} value={credentials.edgeId} name="edge-id" />
      <CopyField
        label={t("Seed (kunci rahasia)", "Seed (secret key)")}
        value={credentials.seed}
        name="edge-seed"
        multiline
        rows={3}
      />
      <h4>{t("Di gateway edge sekolah", "On the school's edge gateway")}</h4>
      <ol class="how-to">
        <li>
          {fill(
            t(
              "Buat berkas seed yang hanya dapat dibaca pengguna pantau (0600), lalu tempel seed di atas ke dalamnya ({path}):",
              "Make the seed's file readable by the pantau user only (0600), then paste the seed above into it ({path}):",
            ),
            { path: seedPath },
          )}
          <CopyField
            label={t("Perintah berkas seed", "Seed file commands")}
            value={seedFileCommands()}
            multiline
            rows={3}
            name="seed-commands"
          />
        </li>
        <li>
          {t(
            "Tambahkan baris ini ke config/pantau.yml edge:",
            "Add these lines to the edge's config/pantau.yml:",
          )}
          <CopyField
            label={t("Pengaturan edge", "Edge settings")}
            value={edgeConfigLines(credentials.edgeId, edgeServers(credentials.servers, location.hostname))}
            multiline
            name="edge-config"
          />
          {credentials.servers === undefined && (
            // The operator named no addresses (fleet.edgeServers): the shipped nginx site's WebSocket path.
            <span class="hint">
              {fill(
                t(
                  "Bila firewall sekolah hanya mengizinkan HTTPS, pakai wss://{host}/nats sebagai server.",
                  "Where the school's firewall allows only HTTPS, use wss://{host}/nats as the server.",
                ),
                { host: location.hostname },
              )}
            </span>
          )}
        </li>
        <li>
          {t(
            "Mulai ulang gateway edge (sudo systemctl restart pantau). Dalam beberapa detik edge terlihat Terhubung di sini.",
            "Restart the edge gateway (sudo systemctl restart pantau). Within seconds it shows Online here.",
          )}
        </li>
      </ol>
      <div class="actions">
        <button
          type="button"
          class="btn primary"
          onClick={() => {
            ref.current?.close();
          }}
        >
          {t("Sudah saya simpan, tutup", "I have saved it, close")}
        </button>
      </div>
    </dialog>
  );
}
