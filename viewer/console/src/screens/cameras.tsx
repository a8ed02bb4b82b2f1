import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import {
  stateWords,
  type CameraHealthJson,
  type CameraJson,
  type CameraMoveJson,
  type ClassroomJson,
} from "../components/camera-types.js";
import { useEvents, type CameraState } from "../components/events.js";
import { fieldError, onField } from "../components/field-error.js";
import { PushSettings } from "../components/push-settings.js";
import { useAction } from "../components/use-action.js";
import { fill, formatTime, useLang, useT } from "../i18n.js";
import { href } from "../router.js";
import { useSession } from "../session.js";
import { ActionButton, Badge, Empty, ErrorNotice, Field, Loading, Page, useLoad } from "../ui.js";

interface CamerasData {
  cameras: CameraJson[];
  classrooms: ClassroomJson[];
  health: Map<string, CameraHealthJson>;
  moves: CameraMoveJson[];
}

/** The school's cameras: state, last picture, name and classroom, on/off, removal; and camera moves to decide. */
export function CamerasScreen() {
  const t = useT();
  const { school } = useSession();
  const schoolId = school?.id ?? "";
  const { data, error, loading, reload } = useLoad<CamerasData>(async () => {
    const [cameras, classrooms, health, moves] = await Promise.all([
      api.get<{ cameras: CameraJson[] }>("/api/cameras"),
      api.get<{ classrooms: ClassroomJson[] }>(`/api/schools/${seg(schoolId)}/classrooms`),
      api.get<{ cameras: CameraHealthJson[] }>("/api/health"),
      api.get<{ moves: CameraMoveJson[] }>(`/api/camera-moves?schoolId=${seg(schoolId)}`),
    ]);
    return {
      cameras: cameras.cameras.filter((c) => c.schoolId === schoolId),
      classrooms: classrooms.classrooms,
      health: new Map(health.cameras.map((h) => [h.cameraId, h])),
      moves: moves.moves,
    };
  }, [schoolId]);
  // Each card's state follows the live feed, so an NVR that begins or stops pushing, or a camera going
  // offline, shows without a reload (a new publish URL cuts a push: the card must not keep saying online).
  const [live, setLive] = useState<ReadonlyMap<string, CameraState>>(new Map());
  useEvents((m) => {
    if (m.type === "hello") setLive(new Map(m.cameras.map((h) => [h.cameraId, h.state])));
    else if (m.type === "state") setLive((prev) => new Map(prev).set(m.cameraId, m.to));
  });

  return (
    <Page
      title={t("Kamera", "Cameras")}
      actions={
        <a class="btn primary" href={href("/cameras/new")}>
          {t("Tambah kamera", "Add camera")}
        </a>
      }
    >
      <ErrorNotice error={error} />
      {data === undefined && loading && <Loading />}
      {data !== undefined && (
        <>
          <Moves moves={data.moves} onChanged={reload} />
          {data.cameras.length === 0 ? (
            <Empty>
              {t(
                "Belum ada kamera di sekolah ini. Tambahkan dengan tombol di atas.",
                "This school has no cameras yet. Add one with the button above.",
              )}
            </Empty>
          ) : (
            <ul class="camera-list">
              {data.cameras.map((c) => (
                <CameraCard
                  key={c.id}
                  camera={c}
                  classrooms={data.classrooms}
                  health={data.health.get(c.id)}
                  liveState={live.get(c.id)}
                  onChanged={reload}
                />
              ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}

function Moves(props: { moves: CameraMoveJson[]; onChanged: () => Promise<void> }) {
  const t = useT();
  const lang = useLang();
  const { school } = useSession();
  if (props.moves.length === 0) return null;
  return (
    <section class="card camera-moves" aria-labelledby="moves-title">
      <h3 id="moves-title">{t("Kamera terlihat di alamat lain", "Cameras seen at another address")}</h3>
      <p class="hint">
        {t(
          "Pantau belum mengikuti kamera ini ke alamat barunya. Konfirmasi hanya bila Anda tahu kamera itu memang pindah.",
          "Pantau has not followed these cameras to their new address. Confirm only if you know the camera really moved.",
        )}
      </p>
      <ul>
        {props.moves.map((m) => (
          <li key={m.id} class="move">
            <p>
              <strong>{m.cameraName}</strong>:{" "}
              {fill(t("dari {from} ke {to}", "from {from} to {to}"), { from: m.from, to: m.to })} (
              {formatTime(m.seenAt, lang, school?.timeZone)})
            </p>
            <p class="hint">{m.reason.messages[lang]}</p>
            <div class="actions">
              <ActionButton
                kind="primary"
                onAction={async () => {
                  await api.post(`/api/camera-moves/${seg(m.id)}/confirm`);
                  await props.onChanged();
                }}
              >
                {fill(t("Konfirmasi pindah ke {to}", "Confirm move to {to}"), { to: m.to })}
              </ActionButton>
              <ActionButton
                onAction={async () => {
                  await api.post(`/api/camera-moves/${seg(m.id)}/dismiss`);
                  await props.onChanged();
                }}
              >
                {fill(t("Abaikan, tetap di {from}", "Dismiss, stay at {from}"), { from: m.from })}
              </ActionButton>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Snapshot(props: { camera: CameraJson }) {
  const t = useT();
  const [failed, setFailed] = useState(false);
  const alt = fill(t("Gambar terakhir dari {name}", "Last picture from {name}"), { name: props.camera.name });
  if (failed || !props.camera.enabled) {
    return (
      <div class="snapshot none">
        <span>{t("Belum ada gambar", "No picture yet")}</span>
      </div>
    );
  }
  return (
    <img
      class="snapshot"
      src={`/api/cameras/${seg(props.camera.id)}/snapshot.jpg`}
      alt={alt}
      loading="lazy"
      width={320}
      height={180}
      onError={() => {
        setFailed(true);
      }}
    />
  );
}

function CameraCard(props: {
  camera: CameraJson;
  classrooms: ClassroomJson[];
  health: CameraHealthJson | undefined;
  /** Its state from the live feed, once the feed has said (newer than `health`, read with the list). */
  liveState: CameraState | undefined;
  onChanged: () => Promise<void>;
}) {
  const t = useT();
  const c = props.camera;
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  // The publish URL is read only when asked for: each read is an audited hand-out of a credential.
  const [showPush, setShowPush] = useState(false);
  const { school } = useSession();
  const room = props.classrooms.find((r) => r.id === c.classroomId);
  const state = c.enabled ? (props.liveState ?? props.health?.state ?? "unknown") : "disabled";
  const words = stateWords[state];
  const titleId = `cam-${c.id}-name`;
  return (
    <li class={showPush ? "card camera-card wide" : "card camera-card"} aria-labelledby={titleId}>
      <Snapshot camera={c} />
      <div class="camera-body">
        <h3 id={titleId} class="camera-name">
          {c.name}
        </h3>
        <p>
          <Badge tone={words.tone}>{t(words.id, words.en)}</Badge>{" "}
          <span class="camera-room">
            {room ? room.name : t("Belum di kelas mana pun", "Not in any classroom yet")}
          </span>
        </p>
        <p class="hint camera-source">
          {c.source.kind === "rtmp"
            ? t("Dikirim lewat RTMP (push) oleh NVR", "Pushed over RTMP by an NVR")
            : c.source.kind === "edge"
              ? t("Lewat gateway edge sekolah", "Through the school's edge gateway")
              : (c.source.host ?? c.source.url ?? "")}
        </p>
        {editing ? (
          <EditCamera
            camera={c}
            classrooms={props.classrooms}
            onDone={async (changed) => {
              setEditing(false);
              if (changed) await props.onChanged();
            }}
          />
        ) : (
          <div class="actions">
            <button
              type="button"
              class="btn"
              onClick={() => {
                setEditing(true);
              }}
            >
              {t("Ubah", "Edit")}
              <span class="visually-hidden"> {c.name}</span>
            </button>
            {c.source.kind === "rtmp" && (
              <button
                type="button"
                class="btn"
                aria-expanded={showPush}
                onClick={() => {
                  setShowPush(!showPush);
                }}
              >
                {showPush
                  ? t("Tutup pengaturan NVR", "Close NVR settings")
                  : t("Pengaturan NVR", "NVR settings")}
                <span class="visually-hidden"> {c.name}</span>
              </button>
            )}
            <ActionButton
              onAction={async () => {
                await api.patch(`/api/cameras/${seg(c.id)}`, { enabled: !c.enabled });
                await props.onChanged();
              }}
            >
              {c.enabled ? t("Nonaktifkan", "Disable") : t("Aktifkan", "Enable")}
              <span class="visually-hidden"> {c.name}</span>
            </ActionButton>
            {confirmDelete ? (
              <span class="confirm" role="group" aria-label={t("Konfirmasi hapus", "Confirm removal")}>
                <span>{fill(t("Hapus {name}?", "Remove {name}?"), { name: c.name })}</span>
                <ActionButton
                  kind="danger"
                  onAction={async () => {
                    await api.delete(`/api/cameras/${seg(c.id)}`);
                    await props.onChanged();
                  }}
                >
                  {t("Ya, hapus", "Yes, remove")}
                </ActionButton>
                <button
                  type="button"
                  class="btn"
                  onClick={() => {
                    setConfirmDelete(false);
                  }}
                >
                  {t("Batal", "Cancel")}
                </button>
              </span>
            ) : (
              <button
                type="button"
                class="btn"
                onClick={() => {
                  setConfirmDelete(true);
                }}
              >
                {t("Hapus", "Remove")}
                <span class="visually-hidden"> {c.name}</span>
              </button>
            )}
          </div>
        )}
        {showPush && (
          // The list already follows the live feed: the panel shows the card's state, on no socket of its own.
          <PushSettings cameraId={c.id} cameraName={c.name} timeZone={school?.timeZone} state={state} />
        )}
      </div>
    </li>
  );
}

function EditCamera(props: {
  camera: CameraJson;
  classrooms: ClassroomJson[];
  onDone: (changed: boolean) => Promise<void>;
}) {
  const t = useT();
  const c = props.camera;
  const [name, setName] = useState(c.name);
  const [classroomId, setClassroomId] = useState(c.classroomId ?? "");
  const { busy, error, run } = useAction();
  const lang = useLang();
  return (
    <form
      class="edit-camera"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          await api.patch(`/api/cameras/${seg(c.id)}`, {
            name,
            classroomId: classroomId === "" ? null : classroomId,
          });
          await props.onDone(true);
        });
      }}
    >
      <Field label={t("Nama kamera", "Camera name")} error={fieldError(error, ["name"], lang)}>
        <input
          name="name"
          value={name}
          required
          maxLength={100}
          onInput={(e) => {
            setName(e.currentTarget.value);
          }}
        />
      </Field>
      <Field label={t("Kelas", "Classroom")} error={fieldError(error, ["classroomId"], lang)}>
        <select
          name="classroomId"
          value={classroomId}
          onChange={(e) => {
            setClassroomId(e.currentTarget.value);
          }}
        >
          <option value="">{t("Tanpa kelas", "No classroom")}</option>
          {props.classrooms.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
      {!onField(error, ["name", "classroomId"]) && <ErrorNotice error={error} />}
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy}>
          {t("Simpan", "Save")}
        </button>
        <button
          type="button"
          class="btn"
          onClick={() => {
            void props.onDone(false);
          }}
        >
          {t("Batal", "Cancel")}
        </button>
      </div>
    </form>
  );
}
