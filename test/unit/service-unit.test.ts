// What must not break: the systemd unit keeps the gateway's files and ffmpeg's argv (which holds the camera
// password) from other users of the box; a lost line would not fail anything else.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const unit = readFileSync(new URL("../../scripts/pantau.service", import.meta.url), "utf8");
const service = new Map(
  unit
    .slice(unit.indexOf("[Service]"), unit.indexOf("[Install]"))
    .split("\n")
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
);

describe("scripts/pantau.service", () => {
  it("writes private files and hides its processes from other users", () => {
    expect(service.get("UMask")).toBe("0077");
    expect(service.get("ProtectProc")).toBe("invisible");
  });

  it("lets the gateway write only the data directory it is told to use", () => {
    expect(service.get("ReadWritePaths")).toBe("/opt/pantau/data");
    expect(unit).toContain("Environment=PANTAU_DATA_DIR=/opt/pantau/data\n");
  });
});
