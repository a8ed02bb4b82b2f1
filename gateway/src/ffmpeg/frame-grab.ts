import type { Clock } from "../common/clock.js";
import { isJpeg } from "../common/jpeg.js";
import type { ProcessSpawner } from "./process-spawner.js";
import { buildSnapshotArgs } from "./snapshot-args.js";
import { StderrTail } from "./stderr-tail.js";

export type FrameGrabFailure = "timeout" | "too_large" | "failed";

/** One frame could not be decoded: ffmpeg failed, took too long, or wrote more than a picture. */
export class FrameGrabError extends Error {
  constructor(
    readonly reason: FrameGrabFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface FrameGrabOptions {
  ffmpegPath: string;
  /** SIGKILL after this long, and the grab fails. */
  timeoutMs: number;
  /** More JPEG than this and ffmpeg is killed: no frame is that big. */
  maxBytes: number;
}

/**
 * Decodes the first frame of `input` (an fMP4 init segment and fragments from a keyframe on) to a JPEG with
 * one short ffmpeg, fed on stdin. Nothing touches disk. A grab that is not done by its deadline is killed.
 */
export function grabJpegFrame(
  spawner: ProcessSpawner,
  clock: Clock,
  input: readonly Buffer[],
  o: FrameGrabOptions,
): Promise<Buffer> {
  const child = spawner.spawn(o.ffmpegPath, buildSnapshotArgs(), { stdin: "pipe" });
  const stderr = new StderrTail(() => [], 5);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: FrameGrabError | undefined;
    const give = (e: FrameGrabError) => {
      failure ??= e;
      child.kill("SIGKILL");
    };
    const timer = clock.setTimeout(() => {
      give(new FrameGrabError("timeout", `ffmpeg gave no frame in ${String(o.timeoutMs)} ms`));
    }, o.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      if (failure) return;
      size += chunk.length;
      if (size > o.maxBytes) {
        give(new FrameGrabError("too_large", `ffmpeg wrote more than ${String(o.maxBytes)} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    let partial = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      for (const line of lines) stderr.add(line);
    });
    child.onExit((code, signal, error) => {
      clock.clearTimeout(timer);
      if (partial !== "") stderr.add(partial);
      const jpeg = Buffer.concat(chunks);
      if (failure) reject(failure);
      else if (error) reject(new FrameGrabError("failed", `ffmpeg did not start: ${error.message}`));
      else if (code !== 0 || !isJpeg(jpeg))
        reject(
          new FrameGrabError(
            "failed",
            `ffmpeg exited ${signal ?? String(code)} without a JPEG: ${stderr.last ?? "no message"}`,
          ),
        );
      else resolve(jpeg);
    });
    // ffmpeg quits after its one frame, possibly before reading the rest: EPIPE then is no failure.
    const stdin = child.stdin;
    if (stdin === undefined) {
      give(new FrameGrabError("failed", "spawner gave no stdin"));
      return;
    }
    stdin.on("error", () => undefined);
    for (const b of input) stdin.write(b);
    stdin.end();
  });
}
