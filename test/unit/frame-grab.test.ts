import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { FrameGrabError, grabJpegFrame } from "../../gateway/src/ffmpeg/frame-grab.js";
import type { SpawnOptions } from "../../gateway/src/ffmpeg/process-spawner.js";
import { buildSnapshotArgs } from "../../gateway/src/ffmpeg/snapshot-args.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { FakeChild, flush } from "../helpers/fake-process.js";

/** A fake ffmpeg that reads stdin, as `{ stdin: "pipe" }` asks. */
class PipedChild extends FakeChild {
  override readonly stdin = new PassThrough();
  readonly received: Buffer[] = [];
  stdinEnded = false;

  constructor(args: readonly string[]) {
    super(4242, args);
    this.stdin.on("data", (b: Buffer) => this.received.push(b));
    this.stdin.on("end", () => {
      this.stdinEnded = true;
    });
  }
}

function spawner() {
  const spawned: { command: string; child: PipedChild; opts: SpawnOptions | undefined }[] = [];
  return {
    spawned,
    spawn(command: string, args: readonly string[], opts?: SpawnOptions) {
      const child = new PipedChild(args);
      spawned.push({ command, child, opts });
      return child;
    },
    get child(): PipedChild {
      const s = spawned.at(-1);
      if (!s) throw new Error("nothing spawned");
      return s.child;
    },
  };
}

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 2, 0xff, 0xd9]);
const options = { ffmpegPath: "/usr/bin/ffmpeg", timeoutMs: 2000, maxBytes: 64 };

describe("grabJpegFrame", () => {
  it("spawns ffmpeg with the snapshot argv and a stdin pipe, feeds it the GOP, resolves with its JPEG", async () => {
    const sp = spawner();
    const clock = new FakeClock();
    const grab = grabJpegFrame(sp, clock, [Buffer.from("init"), Buffer.from("frag1")], options);
    expect(sp.spawned[0]?.command).toBe("/usr/bin/ffmpeg");
    expect(sp.spawned[0]?.opts).toEqual({ stdin: "pipe" });
    expect(sp.child.args).toEqual(buildSnapshotArgs());
    await flush();
    expect(Buffer.concat(sp.child.received).toString()).toBe("initfrag1");
    expect(sp.child.stdinEnded).toBe(true);
    sp.child.stdout.write(jpeg.subarray(0, 3));
    sp.child.stdout.write(jpeg.subarray(3));
    await flush();
    sp.child.exit(0);
    await expect(grab).resolves.toEqual(jpeg);
    expect(clock.pending).toBe(0);
  });

  it("kills ffmpeg with SIGKILL at its deadline and fails as a timeout", async () => {
    const sp = spawner();
    const clock = new FakeClock();
    const grab = grabJpegFrame(sp, clock, [Buffer.from("init")], options);
    clock.advance(1999);
    expect(sp.child.signals).toEqual([]);
    clock.advance(1);
    expect(sp.child.signals).toEqual(["SIGKILL"]);
    sp.child.exit(null, "SIGKILL");
    await expect(grab).rejects.toMatchObject({ reason: "timeout" });
  });

  it("kills ffmpeg once it writes more than a picture", async () => {
    const sp = spawner();
    const grab = grabJpegFrame(sp, new FakeClock(), [Buffer.from("init")], options);
    sp.child.stdout.write(Buffer.alloc(65, 0xff));
    await flush();
    expect(sp.child.signals).toEqual(["SIGKILL"]);
    sp.child.exit(null, "SIGKILL");
    await expect(grab).rejects.toMatchObject({ reason: "too_large" });
  });

  it("fails with ffmpeg's last line when it exits without a JPEG", async () => {
    const sp = spawner();
    const grab = grabJpegFrame(sp, new FakeClock(), [Buffer.from("init")], options);
    sp.child.stderr.write("pipe:0: Invalid data found when processing input\n");
    sp.child.stdout.write(Buffer.from("<html>"));
    await flush();
    sp.child.exit(0);
    const err = await grab.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrameGrabError);
    expect(err).toMatchObject({ reason: "failed" });
    expect((err as Error).message).toContain("Invalid data found");
  });

  it("fails when ffmpeg cannot start", async () => {
    const sp = spawner();
    const grab = grabJpegFrame(sp, new FakeClock(), [Buffer.from("init")], options);
    sp.child.fail(Object.assign(new Error("spawn ffmpeg ENOENT"), { code: "ENOENT" }));
    await expect(grab).rejects.toMatchObject({
      reason: "failed",
      message: expect.stringContaining("ENOENT"),
    });
  });

  it("an ffmpeg that quits before reading all its input is no failure (EPIPE on stdin)", async () => {
    const sp = spawner();
    const grab = grabJpegFrame(sp, new FakeClock(), [Buffer.from("init")], options);
    sp.child.stdin.destroy(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    sp.child.stdout.write(jpeg);
    await flush();
    sp.child.exit(0);
    await expect(grab).resolves.toEqual(jpeg);
  });
});
