import { redact } from "./redact.js";

/**
 * The last lines ffmpeg wrote to stderr, credentials blanked, for health and failure messages (design.md:
 * the last 50). Kept across runs, so a rendition that keeps failing still shows why.
 */
export class StderrTail {
  private readonly kept: string[] = [];

  constructor(
    /** Values to blank out besides URL credentials (camera passwords); asked at every line. */
    private readonly secrets: () => readonly (string | undefined)[],
    private readonly capacity = 50,
  ) {}

  add(line: string): void {
    const clean = redact(line.trim(), this.secrets());
    if (clean === "") return;
    this.kept.push(clean);
    if (this.kept.length > this.capacity) this.kept.shift();
  }

  get last(): string | undefined {
    return this.kept.at(-1);
  }

  lines(): string[] {
    return [...this.kept];
  }
}
