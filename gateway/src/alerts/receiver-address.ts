import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { AllowedNetworks, refusalOf, type Refusal } from "../net/allowed-networks.js";

/**
 * Alert receivers may be anywhere a school or Diskominfo runs one (the internet, a private network, a relay
 * on this machine), but never where no receiver lives and a forged "webhook" would probe the gateway's own
 * surroundings: link-local, cloud metadata, multicast, broadcast, unspecified (net/allowed-networks.ts).
 */
const anywhere = AllowedNetworks.parse(["0.0.0.0/0", "::/0", "127.0.0.0/8", "::1/128"]);

/** Why a receiver at this IP literal is refused, or undefined. */
export function receiverRefusal(address: string): Refusal | undefined {
  return refusalOf(address, anywhere, { own: [], broadcast: [] });
}

/** The refusal of a receiver URL's host when it is an IP literal (names are checked when resolved). */
export function literalHostRefusal(hostname: string): Refusal | undefined {
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  return isIP(bare) === 0 ? undefined : receiverRefusal(bare);
}

/** Resolves a receiver's host and returns the first refusal among its addresses (undefined: all fine). */
export async function resolvedHostRefusal(hostname: string): Promise<Refusal | undefined> {
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) !== 0) return receiverRefusal(bare);
  const addresses = await lookup(bare, { all: true });
  for (const a of addresses) {
    const refused = receiverRefusal(a.address);
    if (refused !== undefined) return refused;
  }
  return undefined;
}
