import { describe, expect, it } from "vitest";
import {
  decideMove,
  identityOf,
  moveReasonText,
  type MoveDecision,
  type MoveSituation,
} from "../../gateway/src/onvif/move-decision.js";

// Regression: the re-probe moved a camera to whichever host answered first with its UUID, even while the
// camera still answered at its own address, and ffmpeg then sent the camera's password there.

const recorded = { serialNumber: "DS-2CD2043G2-I20220101AAWRJ00000001", hardwareId: "88" };
/** The DHCP move that may happen without a person: old address silent, in range, same identity. */
const honest: MoveSituation = {
  oldAnswers: false,
  rivals: 0,
  inRanges: true,
  dismissed: false,
  recorded,
  seen: { kind: "answered", identity: recorded },
};

const cases: [string, Partial<MoveSituation>, MoveDecision][] = [
  ["old address silent, in range, same serial and hardware id", {}, { kind: "move" }],
  [
    "the camera still answers at its old address, whatever the new host says",
    { oldAnswers: true },
    { kind: "pending", reason: "old_address_answers" },
  ],
  [
    "still answering, even outside the ranges and without identity",
    { oldAnswers: true, inRanges: false, recorded: null },
    { kind: "pending", reason: "old_address_answers" },
  ],
  ["two new hosts claim the UUID", { rivals: 1 }, { kind: "pending", reason: "several_addresses" }],
  ["new host outside the ranges", { inRanges: false }, { kind: "pending", reason: "outside_ranges" }],
  [
    "camera registered before identities were kept",
    { recorded: null },
    { kind: "pending", reason: "no_identity" },
  ],
  ["identity not asked yet", { seen: undefined }, { kind: "check_identity" }],
  [
    "new host wants credentials for GetDeviceInformation",
    { seen: { kind: "needs_auth" } },
    { kind: "pending", reason: "identity_needs_auth" },
  ],
  [
    "new host does not answer GetDeviceInformation",
    { seen: { kind: "failed", detail: "onvif_timeout" } },
    { kind: "pending", reason: "identity_unavailable" },
  ],
  [
    "another serial number",
    { seen: { kind: "answered", identity: { ...recorded, serialNumber: "FORGED" } } },
    { kind: "pending", reason: "identity_mismatch" },
  ],
  [
    "same serial, another hardware id",
    { seen: { kind: "answered", identity: { ...recorded, hardwareId: "1.00" } } },
    { kind: "pending", reason: "identity_mismatch" },
  ],
  ["a host an admin dismissed for this camera", { dismissed: true }, { kind: "ignore" }],
  ["dismissed, though everything else matches", { dismissed: true, oldAnswers: true }, { kind: "ignore" }],
];

describe("decideMove", () => {
  it.each(cases)("%s", (_name, change, expected) => {
    expect(decideMove({ ...honest, ...change })).toEqual(expected);
  });

  it("asks the new host for its identity only when nothing else already decides", () => {
    for (const [, change, expected] of cases) {
      const unasked = decideMove({ ...honest, ...change, seen: undefined });
      if (expected.kind === "move") expect(unasked).toEqual({ kind: "check_identity" });
      else if (expected.kind === "pending" && expected.reason.startsWith("identity_"))
        expect(unasked).toEqual({ kind: "check_identity" });
      else expect(unasked).toEqual(expected);
    }
  });

  it("explains every reason in Bahasa Indonesia and English", () => {
    for (const text of Object.values(moveReasonText)) {
      expect(text.id.length).toBeGreaterThan(20);
      expect(text.en.length).toBeGreaterThan(20);
      expect(text.id).not.toBe(text.en);
    }
  });
});

describe("identityOf", () => {
  it("keeps serial number and hardware id, trimmed; none without a serial number", () => {
    expect(identityOf({ serialNumber: " SN1 ", hardwareId: " 88 " })).toEqual({
      serialNumber: "SN1",
      hardwareId: "88",
    });
    expect(identityOf({ serialNumber: "  ", hardwareId: "88" })).toBeNull();
  });
});
