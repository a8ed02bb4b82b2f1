import { hash, verify } from "@node-rs/argon2";

// argon2id with the OWASP minimum (m = 19 MiB, t = 2, p = 1), the library's defaults; fixed here so a
// library upgrade cannot weaken them silently.
const options = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/** Compares in constant time inside argon2; a malformed stored hash counts as a wrong password. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** Verified against when the username is unknown, so a wrong name costs as long as a wrong password. */
export const decoyHash = hash("pantau decoy password", options);
