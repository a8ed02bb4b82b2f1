import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// The shipped alert rules, checked and unit-tested with Debian's promtool (package prometheus, installed by
// `scripts/setup test`). A missing promtool fails these tests: rules nobody checked are not shipped.

const run = promisify(execFile);
const dir = fileURLToPath(new URL("../../config/prometheus/", import.meta.url));

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run("promtool", args, { cwd: dir, timeout: 30_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === "ENOENT")
      throw new Error("promtool not found: run scripts/setup test (Debian package prometheus)");
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

describe("config/prometheus", () => {
  it("pantau-rules.yml passes promtool check rules", async () => {
    expect(await promtool("check", "rules", "pantau-rules.yml")).toMatch(/SUCCESS: 6 rules found/);
  });

  it("pantau-rules.test.yml passes promtool test rules", async () => {
    expect(await promtool("test", "rules", "pantau-rules.test.yml")).toMatch(/SUCCESS/);
  });

  it("the example scrape config, with the rules, passes promtool check config", async () => {
    expect(await promtool("check", "config", "prometheus.example.yml")).toMatch(
      /prometheus\.example\.yml is valid prometheus config/,
    );
  });
});
