import { isTextKey, t, tf, type Lang } from "./i18n.js";
import type { Playback } from "./playback.js";
import type { Watch } from "./watch-client.js";
import { statusLine, viewableAgain, type ViewerCamera } from "./schedule-text.js";
import { reasonFromBody, refusalAction } from "./stream-url.js";
import type { Watermark } from "./watermark.js";

/** `GET /api/viewer/me`. */
interface Me {
  guardian: { id: string; name: string };
  serverTime: string;
  cameras: ViewerCamera[];
}

/** What the guardian page needs from the page around it (player.ts). */
export interface PageContext {
  lang(): Lang;
  /** Shows a message over the video (an aria-live region); undefined clears it. Re-rendered on a language switch. */
  say(message: ((lang: Lang) => string) | undefined): void;
  onLanguage(listener: () => void): void;
}

interface Row {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  classroom: HTMLElement;
  camera: HTMLElement;
  state: HTMLElement;
}

const refreshEveryMs = 30_000;
/** Refusals that /api/viewer/me reflects in a camera's status, so the list can tell when they are over. */
const resumable = new Set(["outside_hours", "holiday", "paused", "camera_unavailable", "camera_offline"]);
const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

/**
 * The parent's page at /watch: their cameras with a plain status line each (refreshed every 30 s and when
 * the tab comes back), a tap to watch, the reason and the time it comes back when the gateway says no,
 * and the moving watermark while a video plays.
 */
export class GuardianPage {
  private me: Me | undefined;
  /** Server time minus local time: a phone's clock is often off, the school's calendar is not. */
  private clockOffsetMs = 0;
  /** Shown instead of the list: no_device, revoked (the device may not watch any more). */
  private blocked: string | undefined;
  private listProblem: "loadingList" | "listRetry" | undefined = "loadingList";
  /**
   * The camera to start again by itself: one a rule stopped (pause, hours, holiday), once the list has
   * shown it not viewable and then viewable again (armed).
   * Never for a refusal the list cannot show (viewer_limit): that would retry in a loop.
   */
  private resume: { id: string; armed: boolean } | undefined;
  private refusal: { code: string; cameraId: string } | undefined;
  private timer: number | undefined;
  private readonly rows = new Map<string, Row>();
  private readonly viewerTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  private readonly list = $("cameras") as HTMLUListElement;
  private readonly stage = $("stage");

  constructor(
    private readonly ctx: PageContext,
    private readonly playback: Playback,
    private readonly watermark: Watermark,
  ) {}

  start(): void {
    $("guardian").hidden = false;
    $("guardian-list").hidden = false;
    this.stage.hidden = true;
    $("fullscreen").hidden = true;
    this.ctx.onLanguage(() => {
      this.render();
    });
    this.timer = window.setInterval(() => {
      if (document.visibilityState === "visible") void this.refresh();
    }, refreshEveryMs);
    document.addEventListener("visibilitychange", () => {
      this.onVisibility();
    });
    this.render();
    void this.refresh();
  }

  /** Playback event: new stream URLs (start or renewal). */
  onWatch(w: Watch): void {
    this.refusal = undefined;
    this.resume = undefined;
    const cam = this.camera(w.cameraId);
    const name = w.watermark ?? this.me?.guardian.name;
    if (name !== undefined) this.watermark.show(name, w.timeZone ?? cam?.school.timeZone);
    this.render();
  }

  /** Playback event: the gateway refused or cut the stream. */
  onRefused(code: string, cameraId: string): void {
    const action = refusalAction(code);
    if (action === "blocked") {
      this.block(code);
      return;
    }
    if (action !== "backoff") this.watermark.hide();
    this.refusal = { code, cameraId };
    this.resume = resumable.has(code) ? { id: cameraId, armed: false } : undefined;
    this.ctx.say((lang) => this.refusalText(lang));
    this.render();
    // The list knows when it will be viewable again.
    void this.refresh();
  }

  private refusalText(lang: Lang): string {
    const r = this.refusal;
    if (r === undefined) return "";
    const cam = this.camera(r.cameraId);
    const again = cam === undefined ? undefined : viewableAgain(cam, this.now(), lang, this.viewerTimeZone);
    const reason = t(isTextKey(r.code) ? r.code : "not_authorized", lang);
    return again === undefined ? reason : `${reason} ${again}`;
  }

  private now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  private camera(id: string): ViewerCamera | undefined {
    return this.me?.cameras.find((c) => c.id === id);
  }

  private async refresh(): Promise<void> {
    if (this.blocked !== undefined) return;
    let res: Response;
    try {
      res = await fetch("/api/viewer/me", { credentials: "same-origin", cache: "no-store" });
    } catch {
      this.listProblem = "listRetry";
      this.render();
      return;
    }
    if (res.status === 401 || res.status === 403) {
      this.block(reasonFromBody(await res.text()) ?? (res.status === 401 ? "no_device" : "revoked"));
      return;
    }
    if (!res.ok) {
      this.listProblem = "listRetry";
      this.render();
      return;
    }
    const me = (await res.json()) as Me;
    this.me = me;
    const serverNow = Date.parse(me.serverTime);
    if (!Number.isNaN(serverNow)) this.clockOffsetMs = serverNow - Date.now();
    this.listProblem = undefined;
    this.render();
    const cam = this.resume === undefined ? undefined : this.camera(this.resume.id);
    if (this.resume === undefined || cam === undefined) return;
    if (cam.status !== "viewable") this.resume.armed = true;
    else if (this.resume.armed && this.playback.watching === undefined && !document.hidden) this.watch(cam);
  }

  private block(code: string): void {
    this.blocked = code;
    this.playback.stop();
    this.watermark.hide();
    this.stage.hidden = true;
    // Nothing is left to choose: the quality picker would only distract from the reason.
    $("controls").hidden = true;
    this.ctx.say(undefined);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.render();
  }

  private watch(cam: ViewerCamera): void {
    this.resume = undefined;
    this.refusal = undefined;
    this.stage.hidden = false;
    $("fullscreen").hidden = !document.fullscreenEnabled;
    // Always ask: the list may be up to 30 s old, and the gateway's answer says why not.
    this.playback.play(cam.id);
    this.render();
  }

  /**
   * Shown again, the list is refreshed (a rule may have ended meanwhile). The video itself is the policy's:
   * it stops streaming while the page is hidden for long and resumes when shown (playback.ts).
   */
  private onVisibility(): void {
    if (document.visibilityState === "visible") void this.refresh();
  }

  private render(): void {
    const lang = this.ctx.lang();
    const listStatus = $("list-status");
    const greeting = $("greeting");
    greeting.textContent = this.me ? tf("hello", lang, { name: this.me.guardian.name }) : "";
    if (this.blocked !== undefined) {
      listStatus.textContent = t(this.blocked === "no_device" ? "no_device" : "revoked", lang);
      this.list.replaceChildren();
      this.rows.clear();
      return;
    }
    const cams = this.me?.cameras ?? [];
    if (this.listProblem !== undefined) listStatus.textContent = t(this.listProblem, lang);
    else listStatus.textContent = cams.length === 0 ? t("noCamerasAssigned", lang) : "";
    // A refusal's text says when the camera is back, which the list may only now know.
    if (this.refusal !== undefined) this.ctx.say((l) => this.refusalText(l));
    const demo = $("demo-label");
    demo.hidden = !cams.some((c) => c.demo);
    demo.textContent = t("demo", lang);
    if (!this.me) return;

    const seen = new Set<string>();
    const now = this.now();
    cams.forEach((cam, i) => {
      seen.add(cam.id);
      const row = this.rows.get(cam.id) ?? this.makeRow(cam.id);
      // Moved only when the order changed: moving the focused button would drop a screen reader's focus.
      if (this.list.children[i] !== row.li) this.list.insertBefore(row.li, this.list.children[i] ?? null);
      const playing = this.playback.watching === cam.id;
      row.classroom.textContent = cam.classroom.name;
      row.camera.textContent = cam.name;
      row.state.textContent =
        playing && cam.status === "viewable"
          ? t("watching", lang)
          : statusLine(cam, now, lang, this.viewerTimeZone);
      row.button.setAttribute("aria-pressed", String(playing));
      row.button.dataset.status = cam.status;
    });
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.li.remove();
        this.rows.delete(id);
      }
    }
  }

  private makeRow(id: string): Row {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "camera";
    button.dataset.camera = id;
    const span = (cls: string) => {
      const el = document.createElement("span");
      el.className = cls;
      button.append(el);
      return el;
    };
    const row: Row = {
      li,
      button,
      classroom: span("classroom"),
      camera: span("camera-name"),
      state: span("state"),
    };
    li.append(button);
    button.addEventListener("click", () => {
      const cam = this.camera(id);
      if (cam) this.watch(cam);
    });
    this.rows.set(id, row);
    return row;
  }
}
