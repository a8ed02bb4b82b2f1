import { useEffect, useRef, useState } from "preact/hooks";
import { MsePlayer } from "../../../src/mse-player.js";
import { preferredSource } from "../../../src/media-source.js";
import { api, seg } from "../api.js";
import { useT } from "../i18n.js";
import { ErrorNotice } from "../ui.js";

type PreviewState = "connecting" | "live" | "closed" | "unsupported";

/**
 * A registered camera's live picture, played as parents get it: the gateway's WebSocket fMP4 into Media
 * Source Extensions, with the parent page's own player (viewer/src/mse-player.ts). Asks the gateway for
 * a stream token as the signed-in admin (`POST /api/watch/:id`), so nothing here bypasses its checks.
 */
export function LivePreview(props: { cameraId: string; label: string; rendition?: "main" | "sub" }) {
  const t = useT();
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PreviewState>("connecting");
  const [error, setError] = useState<unknown>(undefined);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const v = video.current;
    if (!v) return;
    // An iPad or iPhone admin has only ManagedMediaSource: the same choice the parent page makes.
    const source = preferredSource();
    if (source === undefined) {
      setState("unsupported");
      return;
    }
    let stopped = false;
    setState("connecting");
    setError(undefined);
    const player = new MsePlayer(
      v,
      {
        onStatus: (code) => {
          if (code === "unsupported") setState("unsupported");
        },
        onClosed: () => {
          if (!stopped) setState("closed");
        },
      },
      source,
    );
    const onPlaying = () => {
      setState("live");
    };
    v.addEventListener("playing", onPlaying);
    api
      .post<{ ws: string; renditions: string[] }>(`/api/watch/${seg(props.cameraId)}`)
      .then((w) => {
        if (stopped) return;
        const sub = props.rendition === "sub" && w.renditions.includes("sub");
        player.play(sub ? w.ws.replace(/\/ws$/, "/sub/ws") : w.ws);
        void v.play().catch(() => undefined);
      })
      .catch((e: unknown) => {
        if (!stopped) {
          setError(e);
          setState("closed");
        }
      });
    return () => {
      stopped = true;
      v.removeEventListener("playing", onPlaying);
      player.stop();
    };
  }, [props.cameraId, props.rendition, attempt]);

  const words: Record<PreviewState, string> = {
    connecting: t("Menyambung ke kamera…", "Connecting to the camera…"),
    live: t("Langsung", "Live"),
    closed: t("Pratinjau berhenti.", "The preview stopped."),
    unsupported: t(
      "Peramban ini tidak dapat memutar pratinjau (tanpa Media Source).",
      "This browser cannot play the preview (no Media Source).",
    ),
  };
  return (
    <figure class="live-preview">
      <video ref={video} muted playsInline autoplay aria-label={props.label} data-state={state} />
      <figcaption>
        <span role="status" class={`preview-state ${state}`}>
          {words[state]}
        </span>
        {state === "closed" && (
          <button
            type="button"
            class="btn plain"
            onClick={() => {
              setAttempt((n) => n + 1);
            }}
          >
            {t("Coba lagi", "Try again")}
          </button>
        )}
      </figcaption>
      <ErrorNotice error={error} />
    </figure>
  );
}
