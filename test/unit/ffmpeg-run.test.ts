import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { FfmpegRun } from "../../gateway/src/ffmpeg/ffmpeg-run.js";
import { StderrTail } from "../../gateway/src/ffmpeg/stderr-tail.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeSpawner, flush } from "../helpers/fake-process.js";

function setup(push: (chunk: Buffer) => void = () => undefined) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const stderr = new StderrTail(() => ["hunter2"]);
  const seen = { outputErrors: [] as string[], exits: [] as (number | string | null)[], chunks: 0 };
  const run = FfmpegRun.spawn(
    spawner,
    clock,
    pino({ level: "silent" }),
    {
      command: "ffmpeg",
      args: ["-i", "rtsp://u:hunter2@cam/x"],
      secrets: ["hunter2"],
      output: {
        push: (chunk) => {
          seen.chunks++;
          push(chunk);
        },
      },
      stderr,
    },
    {
      onOutputError: (err) => seen.outputErrors.push(err.message),
      onExit: (code, signal) => seen.exits.push(signal ?? code),
    },
  );
  return { clock, child: spawner.last, stderr, seen, run };
}

describe("FfmpegRun", () => {
  it("spawns the command with its argv as given", () => {
    const { child, run } = setup();
    expect(child.args).toEqual(["-i", "rtsp://u:hunter2@cam/x"]);
    expect(run.pid).toBe(1000);
  });

  it("stops with SIGTERM and sends SIGKILL only when ffmpeg is still running 5 s later", () => {
    const { clock, child, run, seen } = setup();
    run.stop();
    expect(child.signals).toEqual(["SIGTERM"]);
    clock.advance(4999);
    expect(child.signals).toEqual(["SIGTERM"]);
    clock.advance(1);
    expect(child.signals).toEqual(["SIGTERM", "SIGKILL"]);
    child.exit(null, "SIGKILL");
    expect(seen.exits).toEqual(["SIGKILL"]);
  });

  it("sends no SIGKILL after a SIGTERM that ffmpeg obeyed", () => {
    const { clock, child, run } = setup();
    run.stop();
    run.stop();
    child.exit(255);
    clock.advance(10_000);
    expect(child.signals).toEqual(["SIGTERM", "SIGTERM"]);
  });

  it("a killed run delivers no more output, only its exit", async () => {
    const { child, run, seen } = setup();
    child.stdout.write(Buffer.from("a"));
    await flush();
    run.kill();
    child.stdout.write(Buffer.from("b"));
    await flush();
    expect(child.signals).toEqual(["SIGKILL"]);
    expect(seen.chunks).toBe(1);
    child.exit(null, "SIGKILL");
    expect(seen.exits).toEqual(["SIGKILL"]);
  });

  it("unreadable output is reported once and nothing after it is delivered", async () => {
    const { child, seen } = setup(() => {
      throw new Error("box too large");
    });
    child.stdout.write(Buffer.from("a"));
    await flush();
    child.stdout.write(Buffer.from("b"));
    await flush();
    expect(seen.outputErrors).toEqual(["box too large"]);
    expect(seen.chunks).toBe(1);
  });

  it("keeps stderr as redacted lines, including an unterminated last line at exit", async () => {
    const { child, stderr } = setup();
    child.stderr.write("[error] rtsp://admin:hunter2@10.0.0.5/x: Connection refused\r\n[warn] par");
    await flush();
    child.stderr.write("tial password hunter2\n\n[error] last words");
    await flush();
    expect(stderr.lines()).toEqual([
      "[error] rtsp://admin:***@10.0.0.5/x: Connection refused",
      "[warn] partial password ***",
    ]);
    child.exit(1);
    expect(stderr.last).toBe("[error] last words");
  });
});
