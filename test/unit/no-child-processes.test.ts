import childProcess, {
  exec,
  execFile,
  execFileSync,
  execSync,
  fork,
  spawn,
  spawnSync,
} from "node:child_process";
import { createRequire } from "node:module";

import { describe, expect, it } from "vitest";

// The unit tier's setup (test/setup/no-child-processes.ts) is what keeps it free of ffmpeg and friends:
// if it stopped working, a unit test could start a process again without anyone noticing.
describe("the unit tier starts no processes", () => {
  const refused = /unit tests start no processes \(child_process\.\w+ was called\)/;

  it.each([
    ["spawn", () => spawn("true")],
    ["spawnSync", () => spawnSync("true")],
    ["exec", () => exec("true")],
    ["execSync", () => execSync("true")],
    ["execFile", () => execFile("true")],
    ["execFileSync", () => execFileSync("true")],
    ["fork", () => fork("true")],
  ])("%s, imported by name, throws", (_name, start) => {
    expect(start).toThrow(refused);
  });

  it("throws through the default import and require() too", () => {
    expect(() => childProcess.spawn("true")).toThrow(refused);
    const required = createRequire(import.meta.url)("node:child_process") as typeof childProcess;
    expect(() => required.execFileSync("true")).toThrow(refused);
  });
});
