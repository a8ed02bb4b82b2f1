import ipaddr from "ipaddr.js";
import type { Refusal } from "./allowed-networks.js";
import { AddressNotAllowedError } from "./network-guard.js";

/** More than a /22 is not one school's camera network; a bigger scan is a mistake or a misuse. */
export const MAX_SCAN_HOSTS = 1024;

/** A scan target an admin typed that Pantau will not probe; `field` names the request field. */
export class ScanTargetError extends Error {
  constructor(
    readonly field: "cidr" | "hosts",
    message: string,
    readonly id: string,
    /** Set when the target is well formed but outside where the gateway may connect. */
    readonly refused?: AddressNotAllowedError,
  ) {
    super(message);
  }
}

function ipv4(text: string, field: "cidr" | "hosts"): ipaddr.IPv4 {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
    throw new ScanTargetError(field, `"${text}" is not an IPv4 address`, `"${text}" bukan alamat IPv4`);
  }
  return ipaddr.IPv4.parse(text);
}

function refuse(field: "cidr" | "hosts", given: string, address: string, reason: Refusal): never {
  const e = new AddressNotAllowedError(given, address, reason);
  throw new ScanTargetError(field, e.messages.en, e.messages.id, e);
}

/**
 * The unicast probe targets for a CIDR range and/or a host list: IPv4, at most MAX_SCAN_HOSTS, no
 * duplicates. With `refusal` (the gateway's NetworkGuard), every target must be inside the allowed
 * networks (a scan from a school's gateway must never probe the internet), except that the gateway's own
 * and broadcast addresses inside a range are left out rather than refused; without it only the form is checked (the
 * settings, whose ranges the config schema checks against the allowed networks itself).
 */
export function scanHosts(
  input: {
    cidr?: string | undefined;
    hosts?: readonly string[] | undefined;
  },
  refusal?: (address: string) => Refusal | undefined,
): string[] {
  const out = new Set<string>();
  if (input.cidr !== undefined) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(input.cidr.trim());
    if (!m) {
      throw new ScanTargetError(
        "cidr",
        `"${input.cidr}" is not an IPv4 range like 192.168.1.0/24`,
        `"${input.cidr}" bukan rentang IPv4 seperti 192.168.1.0/24`,
      );
    }
    const [, address = "", bits = ""] = m;
    const base = ipv4(address, "cidr");
    const prefix = Number(bits);
    const size = 2 ** (32 - prefix);
    if (prefix > 32 || size > MAX_SCAN_HOSTS) {
      throw new ScanTargetError(
        "cidr",
        `/${prefix} is too large: at most ${MAX_SCAN_HOSTS} addresses (/22) per scan`,
        `/${prefix} terlalu besar: paling banyak ${MAX_SCAN_HOSTS} alamat (/22) per pemindaian`,
      );
    }
    const first = (ipv4ToInt(base) & (size === 1 ? 0xffffffff : ~(size - 1))) >>> 0;
    // Network and broadcast addresses are no hosts, except in /31 and /32.
    const skipEnds = size > 2;
    for (let i = skipEnds ? 1 : 0; i < (skipEnds ? size - 1 : size); i++) {
      const host = intToIpv4(first + i);
      const reason = refusal?.(host);
      if (reason === "own_address" || reason === "broadcast") continue;
      if (reason !== undefined) refuse("cidr", input.cidr, host, reason);
      out.add(host);
    }
  }
  for (const h of input.hosts ?? []) {
    const host = h.trim();
    ipv4(host, "hosts");
    const reason = refusal?.(host);
    if (reason !== undefined) refuse("hosts", host, host, reason);
    out.add(host);
    if (out.size > MAX_SCAN_HOSTS) {
      throw new ScanTargetError(
        "hosts",
        `too many addresses: at most ${MAX_SCAN_HOSTS} per scan`,
        `terlalu banyak alamat: paling banyak ${MAX_SCAN_HOSTS} per pemindaian`,
      );
    }
  }
  return [...out];
}

const ipv4ToInt = (ip: ipaddr.IPv4) => ip.octets.reduce((n, o) => n * 256 + o, 0);
const intToIpv4 = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
