import { useState } from "preact/hooks";
import { api, seg } from "../api.js";
import { fill, formatTime, useLang, useT } from "../i18n.js";
import { Badge, ErrorNotice, Loading, useLoad } from "../ui.js";
import { stateWords } from "./camera-types.js";
import { ConfirmAction } from "./confirm-action.js";
import { useEvents, type CameraState } from "./events.js";
import { CopyField } from "./link-share.js";
import { LivePreview } from "./live-preview.js";

/** `GET|POST /api/cameras/:id/publish-url`: where a camera of kind rtmp is pushed to, signed. */
export interface PublishUrlJson {
  url: string;
  /** rtmp://host:port/live, the "server" or "URL" field of most NVR forms. */
  server: string;
  /** What follows the server: the camera's id and its signature. */
  streamKey: string;
  expiresAt: string;
}

/** A camera's health state from the live feed, as it changes (undefined until the feed's first word). */
function useCameraState(cameraId: string): CameraState | undefined {
  const [state, setState] = useState<CameraState | undefined>(undefined);
  useEvents((m) => {
    if (m.type === "hello") setState(m.cameras.find((c) => c.cameraId === cameraId)?.state ?? "unknown");
    else if (m.type === "state" && m.cameraId === cameraId) setState(m.to);
  });
  return state;
}

interface PushSettingsProps {
  cameraId: string;
  cameraName: string;
  timeZone: string | undefined;
}

/** PushSettings following the camera's state on a feed of its own (the wizard, which follows no other). */
export function LivePushSettings(props: PushSettingsProps) {
  return <PushSettings {...props} state={useCameraState(props.cameraId)} />;
}

/**
 * What an admin enters in an NVR or encoder that pushes a camera over RTMP: the server and stream key as
 * most NVR forms ask them, the whole URL, its expiry, and the camera's state as the caller follows it live
 * (online once the push arrives), with its picture then. The URL is read when this opens (every read is
 * audited), never on a list load; a new one can be issued, which makes the old ones stop working.
 */
export function PushSettings(props: PushSettingsProps & { state: CameraState | undefined }) {
  const t = useT();
  const lang = useLang();
  const path = `/api/cameras/${seg(props.cameraId)}/publish-url`;
  const read = useLoad(() => api.get<PublishUrlJson>(path), [path]);
  const [issued, setIssued] = useState<PublishUrlJson | undefined>(undefined);
  const { state } = props;
  const u = issued ?? read.data;
  const words = stateWords[state ?? "unknown"];
  return (
    <div
      class="push-settings"
      role="region"
      aria-label={fill(t("Pengaturan RTMP untuk {name}", "RTMP settings for {name}"), {
        name: props.cameraName,
      })}
    >
      <ErrorNotice error={read.error} />
      {u === undefined && read.error === undefined && <Loading />}
      {u !== undefined && (
        <>
          <p class="hint">
            {t(
              "Masukkan pengaturan ini di NVR atau encoder, di menu RTMP / Live streaming: server dan kunci aliran, atau bila NVR meminta satu alamat saja, URL lengkapnya.",
              "Enter these in the NVR or encoder, in its RTMP / live streaming menu: the server and the stream key, or the full URL where the NVR asks for one address only.",
            )}
          </p>
          {/* Wrapped, not scrolled: an NVR's form is often typed in by hand from what is read here. */}
          <CopyField label={t("Server", "Server")} value={u.server} name="rtmp-server" multiline rows={2} />
          <CopyField
            label={t("Kunci aliran (stream key)", "Stream key")}
            value={u.streamKey}
            name="stream-key"
            multiline
            rows={3}
          />
          <CopyField
            label={t("URL lengkap", "Full URL")}
            value={u.url}
            name="publish-url"
            multiline
            rows={4}
          />
          <p class="push-expiry">
            {fill(t("Berlaku sampai {date}.", "Valid until {date}."), {
              date: formatTime(u.expiresAt, lang, props.timeZone),
            })}
          </p>
          <p class="notice warn-notice" role="note">
            {t(
              "URL ini adalah kunci: siapa pun yang memilikinya dapat mengirim gambar sebagai kamera ini. Simpan hanya di NVR, jangan dibagikan.",
              "This URL is a credential: whoever has it can send pictures as this camera. Keep it in the NVR only, do not share it.",
            )}
          </p>
          {issued !== undefined && (
            <p class="notice ok" role="status">
              {t(
                "URL baru dibuat. URL lama tidak berlaku lagi: masukkan yang baru di NVR.",
                "A new URL is issued. The old one no longer works: enter the new one in the NVR.",
              )}
            </p>
          )}
          <p class="push-state" role="status">
            {t("Status kamera:", "Camera state:")} <Badge tone={words.tone}>{t(words.id, words.en)}</Badge>{" "}
            {state === "online"
              ? t("NVR sedang mengirim.", "The NVR is pushing.")
              : t(
                  "Kamera tampil menyala setelah NVR mulai mengirim.",
                  "The camera shows online once the NVR pushes.",
                )}
          </p>
          {state === "online" && (
            <LivePreview
              cameraId={props.cameraId}
              label={fill(t("Pratinjau langsung {name}", "Live preview of {name}"), {
                name: props.cameraName,
              })}
            />
          )}
          <div class="actions">
            <ConfirmAction
              label={t("Buat URL baru", "Issue a new URL")}
              labelDetail={props.cameraName}
              question={t(
                "URL lama berhenti bekerja dan kiriman yang sedang berjalan terputus; NVR harus diisi URL baru. Lanjutkan?",
                "The old URL stops working and a push under way is cut; the NVR must be given the new URL. Go on?",
              )}
              confirmLabel={t("Ya, buat URL baru", "Yes, issue a new URL")}
              onConfirm={async () => {
                setIssued(await api.post<PublishUrlJson>(path));
              }}
            />
          </div>
        </>
      )}
    </div>
  );
}
