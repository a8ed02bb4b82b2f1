import type { Lang } from "./i18n.js";

/** Where the watermark sits, in percent of the stage; `quadrant` 0–3 clockwise from top left. */
export interface Spot {
  left: number;
  top: number;
  quadrant: number;
}

/**
 * The next spot: always another quadrant than the last, somewhere random inside it, so the name cannot be
 * cropped or covered in one place for long. `random` returns [0, 1).
 */
export function nextSpot(random: () => number, previous?: Spot): Spot {
  const quadrant =
    previous === undefined
      ? Math.floor(random() * 4)
      : (previous.quadrant + 1 + Math.floor(random() * 3)) % 4;
  const col = quadrant === 1 || quadrant === 2 ? 1 : 0;
  const row = quadrant >= 2 ? 1 : 0;
  // 5–45 % or 55–95 %: the element is shifted back by the same percentage of its own size (see show()),
  // so any value keeps it inside the stage.
  const pick = (half: number) => Math.round(5 + half * 50 + random() * 40);
  return { left: pick(col), top: pick(row), quadrant };
}

const moveEveryMs = 20_000;
const locales: Record<Lang, string> = { id: "id-ID", en: "en-GB" };

/**
 * The watermark's time: the school's (as the demo camera's drawn clock, ffmpeg-args.ts), 24-hour with
 * seconds; the phone's own zone when the school's is unknown or not given.
 */
export function watermarkTime(at: Date, lang: Lang, timeZone: string | undefined): string {
  try {
    return at.toLocaleTimeString(locales[lang], { hourCycle: "h23", timeZone });
  } catch {
    return at.toLocaleTimeString(locales[lang], { hourCycle: "h23" });
  }
}

/**
 * The moving watermark over a parent's video (design.md, "Privacy defaults"): the guardian's name and the
 * time, semi-transparent, never in the way of a tap (CSS pointer-events: none).
 */
export class Watermark {
  private name: string | undefined;
  private spot: Spot | undefined;
  private tick: number | undefined;
  private move: number | undefined;
  private timeZone: string | undefined;

  constructor(
    private readonly el: HTMLElement,
    private readonly lang: () => Lang,
  ) {}

  show(name: string, timeZone?: string): void {
    this.timeZone = timeZone;
    if (this.name === name && this.tick !== undefined) return;
    this.name = name;
    this.el.hidden = false;
    this.render();
    this.place();
    this.clearTimers();
    this.tick = window.setInterval(() => {
      this.render();
    }, 1000);
    this.move = window.setInterval(() => {
      this.place();
    }, moveEveryMs);
  }

  hide(): void {
    this.clearTimers();
    this.name = undefined;
    this.el.hidden = true;
  }

  private clearTimers(): void {
    if (this.tick !== undefined) clearInterval(this.tick);
    if (this.move !== undefined) clearInterval(this.move);
    this.tick = this.move = undefined;
  }

  private render(): void {
    this.el.textContent = `${this.name ?? ""} · ${watermarkTime(new Date(), this.lang(), this.timeZone)}`;
  }

  private place(): void {
    this.spot = nextSpot(Math.random, this.spot);
    // Setting style from script is allowed by the CSP (style attributes in HTML are not).
    this.el.style.left = `${String(this.spot.left)}%`;
    this.el.style.top = `${String(this.spot.top)}%`;
    this.el.style.transform = `translate(-${String(this.spot.left)}%, -${String(this.spot.top)}%)`;
  }
}
