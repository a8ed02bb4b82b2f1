import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StreamTokens } from "../../gateway/src/access/stream-token.js";

describe("StreamTokens", () => {
  let now = 1_800_000_000_000;
  const tokens = new StreamTokens(randomBytes(32), () => now);

  it("round-trips camera, session and expiry, capped at 10 minutes", () => {
    const { token, expiresAt } = tokens.issue("cam_1", "s1", 60 * 60 * 1000);
    expect(expiresAt).toBe(now + 10 * 60 * 1000);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(tokens.verify(token)).toEqual({
      ok: true,
      grant: { cameraId: "cam_1", sid: "s1", exp: expiresAt },
    });
  });

  it("refuses tampered, foreign, malformed and expired tokens", () => {
    const { token } = tokens.issue("cam_1", "s1");
    const [body, sig] = token.split(".") as [string, string];
    const otherBody = Buffer.from(
      Buffer.from(body, "base64url").toString().replace("cam_1", "cam_2"),
    ).toString("base64url");
    expect(tokens.verify(`${otherBody}.${sig}`)).toEqual({ ok: false, reason: "bad_signature" });
    expect(new StreamTokens(randomBytes(32)).verify(token)).toEqual({ ok: false, reason: "bad_signature" });
    for (const bad of ["", ".", "abc", "a.b.c", "../etc/passwd", "%2e%2e", "x".repeat(600)]) {
      expect(tokens.verify(bad).ok).toBe(false);
    }
    now += 11 * 60 * 1000;
    expect(tokens.verify(token)).toEqual({ ok: false, reason: "expired" });
    expect(tokens.verify(token, { allowExpired: true }).ok).toBe(true);
  });

  it("remembers a verified token without trusting anything near it, and still expires it", () => {
    const { token } = tokens.issue("cam_9", "s9");
    expect(tokens.verify(token).ok).toBe(true); // now remembered
    const [body, sig] = token.split(".") as [string, string];
    // Change the first character: the last one of base64url also carries padding bits, so some changes to it
    // decode to the same signature.
    const forged = `${body}.${sig.startsWith("A") ? "B" : "A"}${sig.slice(1)}`;
    expect(tokens.verify(forged)).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(tokens.verify(`${body}x.${sig}`).ok).toBe(false);
    now += 11 * 60 * 1000;
    expect(tokens.verify(token)).toEqual({ ok: false, reason: "expired" });
  });
});
