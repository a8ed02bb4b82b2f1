import { describe, expect, it } from "vitest";
import { spanHosts } from "../../viewer/console/src/components/scan-range.js";

describe("spanHosts (the wizard's from–to scan range)", () => {
  it("lists every address from the first to the last, across an octet", () => {
    expect(spanHosts("192.168.1.254", "192.168.2.1")).toEqual([
      "192.168.1.254",
      "192.168.1.255",
      "192.168.2.0",
      "192.168.2.1",
    ]);
  });

  it("takes one address alone when the second is empty, and trims spaces", () => {
    expect(spanHosts(" 10.0.0.5 ", "")).toEqual(["10.0.0.5"]);
  });

  it("refuses what is not two IPv4 addresses in order", () => {
    for (const [from, to] of [
      ["10.0.0.9", "10.0.0.1"],
      ["10.0.0.256", "10.0.0.300"],
      ["kamera.local", ""],
      ["10.0.0", "10.0.0.5"],
      ["::1", "::2"],
    ] as const) {
      expect(spanHosts(from, to)).toBe("bad_address");
    }
  });

  it("refuses more than the gateway scans at once (1024 addresses)", () => {
    expect(spanHosts("10.0.0.0", "10.0.3.255")).toHaveLength(1024);
    expect(spanHosts("10.0.0.0", "10.0.4.0")).toBe("too_many");
  });
});
