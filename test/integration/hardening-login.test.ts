// What broke: five wrong passwords from one laptop locked the operator's account for everyone (429
// account_locked), and that answer, unlike the unknown-user 401, told a stranger which accounts exist.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromAddress, type AddressAnswer } from "../helpers/from-address.js";
import { startTestGateway, testAdminPassword, testAdminUser, type TestGateway } from "../helpers/gateway.js";

// The gateway's clock stands still unless a test moves it: waits are read from the answers, never slept.
let t = Date.parse("2026-12-01T08:00:00+07:00");
const now = () => t;
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({}, { now });
});

afterAll(async () => {
  await gw.close();
});

const retryAfter = (a: AddressAnswer): number | undefined =>
  a.headers["retry-after"] === undefined ? undefined : Number(a.headers["retry-after"]);

/** What a stranger can compare between two answers: status, code and the whole body, byte for byte. */
const seen = (a: AddressAnswer) => ({ status: a.status, body: a.text });

describe("sign-in throttling per account and address", () => {
  it("an attacker's wrong passwords slow only the attacker; the operator signs in from another laptop at once", async () => {
    const attacker = fromAddress(gw.url, "127.0.0.2");
    for (let i = 0; i < 12; i++) {
      if (i > 0) t += 900_000; // past any wait: every one of these guesses is checked
      expect((await attacker.login(testAdminUser, `raten-${String(i)}`)).status).toBe(401);
    }
    const operator = await fromAddress(gw.url, "127.0.0.3").login(testAdminUser, testAdminPassword);
    expect(operator.status).toBe(200);
    expect(String(operator.headers["set-cookie"])).toMatch(/pantau_session=/);

    // The attacker is now waiting; even the right password is not checked from there.
    const blocked = await attacker.login(testAdminUser, testAdminPassword);
    expect(blocked.status).toBe(401);
    expect(blocked.headers["set-cookie"]).toBeUndefined();
  });

  it("a wrong password, an unknown account and a throttled attempt get the same status and body", async () => {
    const wrong = await fromAddress(gw.url, "127.0.0.4").login(testAdminUser, "salah-sekali");
    const unknown = await fromAddress(gw.url, "127.0.0.4").login("hantu", "salah-sekali");
    expect(seen(wrong)).toEqual(seen(unknown));
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toMatchObject({
      error: {
        code: "invalid_credentials",
        messages: { id: expect.stringMatching(/salah/), en: expect.stringMatching(/wrong/) },
      },
    });

    // The same run of tries against a real account and a made-up one, each from its own address: every
    // answer and every wait is the same, so the throttle tells nothing about which names exist.
    const run = async (address: string, username: string) => {
      const c = fromAddress(gw.url, address);
      const answers = [];
      for (let i = 0; i < 7; i++) {
        const a = await c.login(username, "salah-sekali");
        answers.push({ ...seen(a), retryAfter: retryAfter(a) });
      }
      // A throttled try with the right password (for the real account) changes nothing either.
      const a = await c.login(username, username === testAdminUser ? testAdminPassword : "apa-saja");
      answers.push({ ...seen(a), retryAfter: retryAfter(a) });
      return answers;
    };
    const real = await run("127.0.0.5", testAdminUser);
    const madeUp = await run("127.0.0.6", "hantu");
    expect(real).toEqual(madeUp);
    expect(real.map((a) => a.status)).toEqual(Array<number>(8).fill(401));
    expect(new Set(real.map((a) => a.body))).toEqual(new Set([wrong.text]));
    // Some of those tries were throttled (answered without a password check), yet looked the same.
    expect(real.at(-1)?.retryAfter).toBeGreaterThan(0);
  });

  it("the wait doubles after five wrong passwords, stops growing at 15 minutes, and a sign-in clears it", async () => {
    const c = fromAddress(gw.url, "127.0.0.7");
    const waits = [];
    for (let i = 0; i < 16; i++) {
      const a = await c.login(testAdminUser, "salah-lagi");
      expect(a.status).toBe(401);
      waits.push(retryAfter(a));
      if (i === 12) {
        // Asking again before the wait is over: the same answer, with what is left of the wait.
        t += 100_000;
        const early = await c.login(testAdminUser, "salah-lagi");
        expect(seen(early)).toEqual(seen(a));
        expect(retryAfter(early)).toBe((retryAfter(a) ?? 0) - 100);
        t += ((retryAfter(a) ?? 0) - 100) * 1000;
      } else {
        t += (retryAfter(a) ?? 0) * 1000;
      }
    }
    const u = undefined;
    expect(waits).toEqual([u, u, u, u, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
    expect((await c.login(testAdminUser, testAdminPassword)).status).toBe(200);
    expect(retryAfter(await c.login(testAdminUser, "salah-lagi"))).toBeUndefined();
  });

  it("parallel guesses from one address cannot slip past the count", async () => {
    const c = fromAddress(gw.url, "127.0.0.8");
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c.login(testAdminUser, `paralel-${String(i)}`)),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([401]));
    const audit = (await gw.admin.expect(200, "GET", "/api/audit?action=auth.login_failed&limit=500")) as {
      events: { actor: { ip?: string } }[];
    };
    // Only the five free tries reached the password check; the rest waited.
    expect(audit.events.filter((e) => e.actor.ip === "127.0.0.8")).toHaveLength(5);
  });
});
