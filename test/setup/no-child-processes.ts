// The unit tier is pure logic with fakes: it must run in seconds on a machine without ffmpeg, GStreamer or
// Chromium. This setup file (the unit project's, vitest.config.ts) makes every way of starting a process
// throw, so a unit test that reaches one fails at once instead of quietly depending on the machine.
import { createRequire, syncBuiltinESMExports } from "node:module";

const childProcess = createRequire(import.meta.url)("node:child_process") as Record<string, unknown>;

for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  childProcess[name] = () => {
    throw new Error(
      `unit tests start no processes (child_process.${name} was called): give the code a fake ` +
        "(test/helpers/fake-process.ts), read a kept fixture (test/fixtures/), or move the test to test/integration",
    );
  };
}
// Named ESM imports (`import { spawn } from "node:child_process"`) see the replacements too.
syncBuiltinESMExports();
