import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount } from "@nats-io/nkeys";
import { afterEach, describe, expect, it } from "vitest";
import {
  NatsAuthorizationInputError,
  renderAuthorization,
  type NatsAuthorizationInput,
} from "../../gateway/src/fleet/nats-authorization.js";
import { hubNkey, hubNkeyFile, newNkeyPair, nkeyPairFromSeed } from "../../gateway/src/fleet/nats-nkeys.js";

// Real nkey user public keys (made with createUser(); their checksums are valid).
const HUB = "UBH2AJMZOCBU5ZUJECTD5PS4VKMTVTL42WXTENNDLOE2R646RKZ3GOJB";
const KEY_A = "UCLZU4OFAHJQUUBBAQU2H4XGV2EFFPGF7VHBACGQU4DM7ZLS2XHNBLJE";
const KEY_B = "UBD37KX2KKLYFV7GDFAKKNBBT6TSC3L4G6HU34Z2OYXQOBNB3OMMFAJT";

const header = [
  "# Written by the Pantau hub (gateway/src/fleet/nats-authorization.ts) whenever an operator creates or",
  "# removes an edge; do not edit, the next change overwrites it. Included by config/nats/pantau-hub.conf.",
  "authorization {",
  "  users: [",
  "    # hub",
  "    {",
  `      nkey: "${HUB}"`,
  "      permissions: {",
  '        publish: { allow: ["pantau.edge.*.ctl.>"] }',
  '        subscribe: { allow: ["pantau.edge.*.status", "pantau.edge.*.media.>", "_INBOX.>"] }',
  "      }",
  "    }",
];
const footer = ["  ]", "}", ""];
const edgeLines = (id: string, key: string) => [
  `    # edge ${id}`,
  "    {",
  `      nkey: "${key}"`,
  "      permissions: {",
  `        publish: { allow: ["pantau.edge.${id}.status", "pantau.edge.${id}.media.>"] }`,
  `        subscribe: { allow: ["pantau.edge.${id}.ctl.>"] }`,
  "        allow_responses: true",
  "      }",
  "    }",
];

describe("renderAuthorization", () => {
  const cases: { name: string; input: NatsAuthorizationInput; lines: string[] }[] = [
    { name: "the hub alone", input: { hub: { publicKey: HUB }, edges: [] }, lines: [...header, ...footer] },
    {
      name: "edges sorted by id, whatever order they come in",
      input: {
        hub: { publicKey: HUB },
        edges: [
          { id: "edg_zz", publicKey: KEY_A },
          { id: "edg_A-1_x", publicKey: KEY_B },
        ],
      },
      lines: [...header, ...edgeLines("edg_A-1_x", KEY_B), ...edgeLines("edg_zz", KEY_A), ...footer],
    },
    {
      name: "the longest id",
      input: { hub: { publicKey: HUB }, edges: [{ id: `edg_${"x".repeat(60)}`, publicKey: KEY_A }] },
      lines: [...header, ...edgeLines(`edg_${"x".repeat(60)}`, KEY_A), ...footer],
    },
  ];
  it.each(cases)("renders $name exactly", ({ input, lines }) => {
    expect(renderAuthorization(input)).toBe(lines.join("\n"));
  });

  it("gives the same text for the same fleet in any order", () => {
    const a = { id: "edg_a", publicKey: KEY_A };
    const b = { id: "edg_b", publicKey: KEY_B };
    expect(renderAuthorization({ hub: { publicKey: HUB }, edges: [a, b] })).toBe(
      renderAuthorization({ hub: { publicKey: HUB }, edges: [b, a] }),
    );
  });

  const badIds = [
    "edg_a.b", // a subject token separator: pantau.edge.edg_a.b.status would be another edge's
    "edg_*",
    "edg_>",
    "edg_a.>",
    'edg_a" }, { nkey: "U…',
    "edg_a\n}\nauthorization { users: [] }",
    "edg_a#",
    "edg_a$b",
    "edg_a b",
    " edg_a",
    "edg_a ",
    "edg_", // nothing after the prefix
    `edg_${"x".repeat(61)}`,
    "EDG_a",
    "cam_a",
    "edg_ä",
    "",
  ];
  it.each(badIds)("refuses edge id %j", (id) => {
    expect(() => renderAuthorization({ hub: { publicKey: HUB }, edges: [{ id, publicKey: KEY_A }] })).toThrow(
      NatsAuthorizationInputError,
    );
  });

  const seed = newNkeyPair().seed;
  const badKeys = [
    ["a seed given as a public key", seed],
    ["an account key", createAccount().getPublicKey()],
    ["lower case", KEY_A.toLowerCase()],
    ["a quote inside", `${KEY_A.slice(0, 30)}"${KEY_A.slice(31)}`],
    ["a closing brace inside", `${KEY_A.slice(0, 30)}}${KEY_A.slice(31)}`],
    ["a newline at the end", `${KEY_A}\n`],
    ["one character short", KEY_A.slice(0, -1)],
    ["one character long", `${KEY_A}A`],
    ["a wrong checksum", `${KEY_A.slice(0, -1)}${KEY_A.endsWith("A") ? "B" : "A"}`],
    ["digits outside base32", `U${"1".repeat(55)}`],
    ["empty", ""],
  ] as const;
  it.each(badKeys)("refuses %s as an edge's key", (_name, key) => {
    expect(() =>
      renderAuthorization({ hub: { publicKey: HUB }, edges: [{ id: "edg_a", publicKey: key }] }),
    ).toThrow(NatsAuthorizationInputError);
  });
  it.each(badKeys)("refuses %s as the hub's key", (_name, key) => {
    expect(() => renderAuthorization({ hub: { publicKey: key }, edges: [] })).toThrow(
      NatsAuthorizationInputError,
    );
  });

  it("refuses an edge listed twice and a key given to two users", () => {
    const hub = { publicKey: HUB };
    const twice = [
      { id: "edg_a", publicKey: KEY_A },
      { id: "edg_a", publicKey: KEY_B },
    ];
    expect(() => renderAuthorization({ hub, edges: twice })).toThrow(/listed twice/);
    const shared = [
      { id: "edg_a", publicKey: KEY_A },
      { id: "edg_b", publicKey: KEY_A },
    ];
    expect(() => renderAuthorization({ hub, edges: shared })).toThrow(/already another user's/);
    expect(() => renderAuthorization({ hub, edges: [{ id: "edg_a", publicKey: HUB }] })).toThrow(
      /already another user's/,
    );
  });
});

describe("nkeys", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("makes user pairs whose seed gives back the public key", () => {
    const pair = newNkeyPair();
    expect(pair.seed).toMatch(/^SU[A-Z2-7]{56}$/);
    expect(pair.publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    expect(nkeyPairFromSeed(`${pair.seed}\n`)).toEqual(pair);
    expect(newNkeyPair().seed).not.toBe(pair.seed);
  });

  it("refuses what is not a user seed", () => {
    const account = new TextDecoder().decode(createAccount().getSeed());
    for (const bad of [account, "SU", newNkeyPair().publicKey, `${newNkeyPair().seed}X`]) {
      expect(() => nkeyPairFromSeed(bad)).toThrow(/not an nkey user seed|invalid|checksum/i);
    }
  });

  it("makes the hub's seed file once, 0600, and reads it back", () => {
    dir = mkdtempSync(join(tmpdir(), "pantau-nkey-"));
    const dataDir = join(dir, "data");
    const first = hubNkey(dataDir);
    const file = join(dataDir, hubNkeyFile);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe(`${first.seed}\n`);
    expect(hubNkey(dataDir)).toEqual(first);
  });

  it("tightens a loose seed file and names a damaged one", () => {
    dir = mkdtempSync(join(tmpdir(), "pantau-nkey-"));
    const file = join(dir, hubNkeyFile);
    const pair = newNkeyPair();
    writeFileSync(file, pair.seed, { mode: 0o644 });
    expect(hubNkey(dir)).toEqual(pair);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, "not a seed\n");
    expect(() => hubNkey(dir!)).toThrow(new RegExp(`${file}: not an nkey user seed`));
  });
});
