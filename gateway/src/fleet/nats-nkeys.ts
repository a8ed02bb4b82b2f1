import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createUser, fromSeed } from "@nats-io/nkeys";

/**
 * An nkey user (ed25519) for the NATS link: the seed (`SU…`, the secret the client signs the server's nonce
 * with) and its public key (`U…`, all the server's authorization file holds).
 */
export interface NkeyPair {
  seed: string;
  publicKey: string;
}

/** The hub's own seed, in its data directory. */
export const hubNkeyFile = "nats-hub.nk";

/** A new user key pair: an edge's, made once when an operator creates the edge (the hub keeps the public key). */
export function newNkeyPair(): NkeyPair {
  const pair = createUser();
  return { seed: new TextDecoder().decode(pair.getSeed()), publicKey: pair.getPublicKey() };
}

/** The pair of a user seed; throws on anything that is not one (an account or operator seed included). */
export function nkeyPairFromSeed(seed: string): NkeyPair {
  const trimmed = seed.trim();
  if (!/^SU[A-Z2-7]{56}$/.test(trimmed))
    throw new Error("not an nkey user seed (SU and 56 base32 characters)");
  const pair = fromSeed(new TextEncoder().encode(trimmed));
  return { seed: trimmed, publicKey: pair.getPublicKey() };
}

/** The seed's bytes, as `nkeyAuthenticator(seed)` of @nats-io/transport-node takes them. */
export const seedBytes = (seed: string): Uint8Array => new TextEncoder().encode(seed);

/**
 * The hub's key pair, from `<dataDir>/nats-hub.nk` (0600, made on first start like `secret.key`). The hub
 * writes its public key into the authorization file it renders, so a new seed takes effect on its own.
 */
export function hubNkey(dataDir: string): NkeyPair {
  const file = join(dataDir, hubNkeyFile);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pair = newNkeyPair();
    try {
      // `wx`: a second hub process starting at the same moment keeps the first one's seed.
      writeFileSync(file, pair.seed + "\n", { mode: 0o600, flag: "wx" });
      return pair;
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== "EEXIST") throw writeErr;
      text = readFileSync(file, "utf8");
    }
  }
  chmodSync(file, 0o600);
  try {
    return nkeyPairFromSeed(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}; remove it to make a new hub key`);
  }
}
