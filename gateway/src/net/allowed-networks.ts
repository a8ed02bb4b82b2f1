import type { NetworkInterfaceInfo } from "node:os";
import ipaddr from "ipaddr.js";

/** The setting that decides where the gateway may connect, as admins read it in an error. */
export const allowedNetworksSetting = "network.allowedNetworks (PANTAU_NETWORK_ALLOWED_NETWORKS)";

/**
 * Where cameras are by default: the private IPv4 ranges (RFC 1918) and IPv6 unique local addresses
 * (RFC 4193). Not carrier-grade NAT space (100.64.0.0/10, RFC 6598): it is the ISP's or a cloud's own
 * network (Alibaba Cloud's metadata and DNS live there), a school's LAN never uses it; a school whose
 * cameras are reached through a VPN in that space adds it.
 */
export const defaultAllowedNetworks = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"] as const;

/** Why an address is refused; `not_allowed` is the only one the setting can change (and `loopback`). */
export type Refusal =
  | "not_an_address"
  | "unspecified"
  | "broadcast"
  | "multicast"
  | "link_local"
  | "metadata"
  | "loopback"
  | "own_address"
  | "not_allowed";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/**
 * Cloud metadata services, refused whatever the setting says: every cloud's 169.254.169.254 (link-local
 * anyway, named apart for a clearer answer), AWS's IPv6 IMDS (fd00:ec2::254) and Google's (fd20:ce::254)
 * in unique local space, Alibaba Cloud's (100.100.100.200) in carrier-grade NAT space, Azure's WireServer
 * (168.63.129.16) at a public address.
 */
const metadataAddresses: readonly Range[] = [
  "169.254.169.254/32",
  "fd00:ec2::254/128",
  "fd20:ce::254/128",
  "100.100.100.200/32",
  "168.63.129.16/32",
].map((c) => ipaddr.parseCIDR(c));

/** An address as the kernel will connect to it: an IPv4-mapped IPv6 address is the IPv4 one. */
function addressOf(text: string): Address | undefined {
  const bare = text.replace(/^\[(.*)\]$/, "$1");
  if (!ipaddr.isValid(bare)) return undefined;
  // Only the forms the kernel and the URL parser agree on: "10.1" or "0x7f.1" are names to resolve.
  if (ipaddr.IPv4.isIPv4(bare) && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return undefined;
  return ipaddr.process(bare);
}

const inRange = (a: Address, [net, bits]: Range) => a.kind() === net.kind() && a.match(net, bits);
const same = (a: Address, b: Address | undefined) =>
  b !== undefined && a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString();

/** The ranges refused whatever the setting says, by ipaddr.js range name: their prefix lengths. */
const neverPrefix: Record<"ipv4" | "ipv6", Partial<Record<string, number>>> = {
  ipv4: { unspecified: 8, broadcast: 32, multicast: 4, linkLocal: 16 },
  ipv6: { unspecified: 128, multicast: 8, linkLocal: 10 },
};

/** A bad entry in the setting: the message says what is wrong with it. */
export class NetworkListError extends Error {}

/** One entry of the setting: a CIDR range (`10.20.0.0/16`, `fd12::/64`) or one address. */
export function parseNetwork(text: string): Range {
  const t = text.trim();
  const slash = t.indexOf("/");
  const addressText = slash < 0 ? t : t.slice(0, slash);
  const bitsText = slash < 0 ? undefined : t.slice(slash + 1);
  const address = addressOf(addressText);
  if (address === undefined || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText))) {
    throw new NetworkListError(`"${text}" is not a network like 10.20.0.0/16 or fd12:3456::/64`);
  }
  // ipaddr.js would read it as IPv4 with an IPv6 prefix length; say what to write instead.
  if (/^::ffff:/i.test(addressText)) {
    throw new NetworkListError(`"${text}": write IPv4 networks as IPv4, like 10.20.0.0/16`);
  }
  const max = address.kind() === "ipv4" ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) throw new NetworkListError(`"${text}": a prefix length is at most ${String(max)}`);
  // An entry wholly inside space Pantau never connects to is a mistake worth stopping the start for.
  const never = neverPrefix[address.kind()][address.range()];
  if (never !== undefined && bits >= never) {
    throw new NetworkListError(
      `"${text}" is ${address.range() === "linkLocal" ? "link-local" : address.range()} space, which Pantau never connects to`,
    );
  }
  return [address, bits];
}

/** The parsed setting; loopback is allowed only by an entry that lies wholly in loopback (127.0.0.0/8, ::1). */
export class AllowedNetworks {
  private constructor(
    private readonly ranges: readonly Range[],
    private readonly loopbackRanges: readonly Range[],
  ) {}

  /** Throws NetworkListError naming the first bad entry. */
  static parse(list: readonly string[]): AllowedNetworks {
    const ranges = list.map(parseNetwork);
    // Only an entry that names loopback itself lets the gateway reach its own machine (tests do); a broad
    // range such as ::/0 or 0.0.0.0/0 never does.
    const loopback = ranges.filter(
      ([net, bits]) => net.range() === "loopback" && bits >= (net.kind() === "ipv4" ? 8 : 128),
    );
    return new AllowedNetworks(ranges, loopback);
  }

  contains(a: Address): boolean {
    return this.ranges.some((r) => inRange(a, r));
  }

  namesLoopback(a: Address): boolean {
    return this.loopbackRanges.some((r) => inRange(a, r));
  }
}

/** The gateway's own addresses and its interfaces' broadcast addresses, from os.networkInterfaces(). */
export interface LocalAddresses {
  own: readonly string[];
  broadcast: readonly string[];
}

export function localAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): LocalAddresses {
  const own: string[] = [];
  const broadcast: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const i of infos ?? []) {
      own.push(i.address);
      if (i.family === "IPv4" && i.cidr !== null && !i.cidr.endsWith("/32") && !i.cidr.endsWith("/31"))
        broadcast.push(ipaddr.IPv4.broadcastAddressFromCIDR(i.cidr).toString());
    }
  }
  return { own, broadcast };
}

/**
 * Why the gateway must not connect to `address` (a literal, as the resolver returned it), or undefined
 * when it may. Never: unspecified, broadcast, multicast, link-local and cloud metadata addresses, and the
 * gateway's own addresses, whatever the setting lists; loopback only when an entry names loopback; the
 * rest only inside the allowed networks.
 */
export function refusalOf(
  address: string,
  allowed: AllowedNetworks,
  local: LocalAddresses,
): Refusal | undefined {
  const a = addressOf(address.replace(/%.*$/, ""));
  if (a === undefined) return "not_an_address";
  const range = a.range();
  if (range === "unspecified") return "unspecified";
  if (range === "broadcast" || local.broadcast.some((b) => same(a, addressOf(b)))) return "broadcast";
  if (range === "multicast") return "multicast";
  if (metadataAddresses.some((r) => inRange(a, r))) return "metadata";
  if (range === "linkLocal") return "link_local";
  const loopbackAllowed = range === "loopback" && allowed.namesLoopback(a);
  if (range === "loopback" && !loopbackAllowed) return "loopback";
  if (!loopbackAllowed && local.own.some((o) => same(a, addressOf(o.replace(/%.*$/, "")))))
    return "own_address";
  return allowed.contains(a) ? undefined : "not_allowed";
}
