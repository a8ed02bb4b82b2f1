// What broke: wrong passwords locked the account itself, for every address; the throttle that replaces the
// lock counts per account name and address, and the old setting names must keep working.
import { describe, expect, it } from "vitest";
import { LoginThrottle } from "../../gateway/src/access/login-throttle.js";
import { parseConfig } from "../../gateway/src/config/load-config.js";

const clock = () => {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
};

describe("LoginThrottle", () => {
  it("lets the first tries through, then doubles the wait from 1 s up to the cap", () => {
    const c = clock();
    const th = new LoginThrottle({ freeFailures: 3, maxDelayMs: 10_000 }, c.now);
    const waits = [];
    for (let i = 0; i < 8; i++) {
      const a = th.attempt("operator", "10.0.0.9");
      expect(a.allowed).toBe(true);
      waits.push(a.waitMs);
      c.t += a.waitMs;
    }
    expect(waits).toEqual([0, 0, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it("holds back a try inside the wait without counting it, and says how much is left", () => {
    const c = clock();
    const th = new LoginThrottle({ freeFailures: 1, maxDelayMs: 60_000 }, c.now);
    expect(th.attempt("operator", "10.0.0.9")).toEqual({ allowed: true, waitMs: 1000 });
    c.t += 400;
    expect(th.attempt("operator", "10.0.0.9")).toEqual({ allowed: false, waitMs: 600 });
    expect(th.attempt("operator", "10.0.0.9")).toEqual({ allowed: false, waitMs: 600 });
    c.t += 600;
    // The held-back tries did not count: the next wait is 2 s, not 8 s.
    expect(th.attempt("operator", "10.0.0.9")).toEqual({ allowed: true, waitMs: 2000 });
  });

  it("keeps each address and each name apart, counts names no account has the same way, and forgets on success", () => {
    const c = clock();
    const th = new LoginThrottle({ freeFailures: 1, maxDelayMs: 60_000 }, c.now);
    th.attempt("operator", "10.0.0.9");
    expect(th.attempt("operator", "10.0.0.9").allowed).toBe(false);
    expect(th.attempt("operator", "10.0.0.10")).toEqual({ allowed: true, waitMs: 1000 });
    expect(th.attempt("hantu", "10.0.0.9")).toEqual({ allowed: true, waitMs: 1000 });
    th.succeeded("operator", "10.0.0.9");
    expect(th.attempt("operator", "10.0.0.9")).toEqual({ allowed: true, waitMs: 1000 });
  });

  it("forgets an address a day after its last try, and a clock set back does not make the wait longer", () => {
    const c = clock();
    const th = new LoginThrottle({ freeFailures: 1, maxDelayMs: 60_000 }, c.now);
    for (let i = 0; i < 5; i++) c.t += th.attempt("operator", "10.0.0.9").waitMs;
    c.t += 24 * 3_600_000;
    expect(th.attempt("operator", "10.0.0.9")).toEqual({ allowed: true, waitMs: 1000 });
    c.t -= 3_600_000;
    expect(th.attempt("operator", "10.0.0.9").allowed).toBe(true);
  });
});

describe("sign-in settings", () => {
  it("default to five free tries and a 15-minute cap", () => {
    expect(parseConfig({}).access).toMatchObject({ loginFailuresBeforeDelay: 5, loginMaxDelayMinutes: 15 });
  });

  it("still take the old names from a config file and the environment; the new name wins", () => {
    expect(parseConfig({ access: { loginMaxFailures: 3, lockoutMinutes: 30 } }).access).toMatchObject({
      loginFailuresBeforeDelay: 3,
      loginMaxDelayMinutes: 30,
    });
    expect(
      parseConfig({}, { PANTAU_ACCESS_LOGIN_MAX_FAILURES: "4", PANTAU_ACCESS_LOCKOUT_MINUTES: "20" }).access,
    ).toMatchObject({ loginFailuresBeforeDelay: 4, loginMaxDelayMinutes: 20 });
    expect(
      parseConfig(
        { access: { loginMaxFailures: 3, loginFailuresBeforeDelay: 7 } },
        { PANTAU_ACCESS_LOCKOUT_MINUTES: "20", PANTAU_ACCESS_LOGIN_MAX_DELAY_MINUTES: "9" },
      ).access,
    ).toMatchObject({ loginFailuresBeforeDelay: 7, loginMaxDelayMinutes: 9 });
    expect(() => parseConfig({}, { PANTAU_ACCESS_LOGIN_MAX_FAILURES: "many" })).toThrow(
      /PANTAU_ACCESS_LOGIN_MAX_FAILURES: expected a number/,
    );
  });
});
