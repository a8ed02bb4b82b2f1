import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import type { Explanation } from "../common/explanation.js";
import {
  allowedNetworksSetting,
  localAddresses,
  refusalOf,
  type AllowedNetworks,
  type Refusal,
} from "./allowed-networks.js";

const reasons: Record<Refusal, Explanation> = {
  not_an_address: { id: "bukan alamat IP", en: "it is not an IP address" },
  unspecified: { id: "alamat kosong (0.0.0.0 atau ::)", en: "it is the unspecified address (0.0.0.0 or ::)" },
  broadcast: { id: "alamat siaran (broadcast)", en: "it is a broadcast address" },
  multicast: { id: "alamat multicast", en: "it is a multicast address" },
  link_local: {
    id: "alamat link-local (169.254.x.x atau fe80::)",
    en: "it is a link-local address (169.254.x.x or fe80::)",
  },
  metadata: { id: "layanan metadata awan", en: "it is a cloud metadata service" },
  loopback: { id: "gateway ini sendiri (loopback)", en: "it is this gateway itself (loopback)" },
  own_address: { id: "alamat gateway ini sendiri", en: "it is one of this gateway's own addresses" },
  not_allowed: {
    id: "di luar jaringan yang diizinkan untuk kamera",
    en: "it is outside the networks cameras may be on",
  },
};

/**
 * A camera address the gateway refuses to connect to; nothing was sent to it. The texts name the setting,
 * and say whether changing it could help.
 */
export class AddressNotAllowedError extends Error {
  readonly code = "address_not_allowed";
  readonly messages: Explanation;

  constructor(
    /** What the admin gave: an address or a host name. */
    readonly host: string,
    /** The address it is (or resolved to) that was refused. */
    readonly address: string,
    readonly reason: Refusal,
  ) {
    const shown = host === address ? address : `${host} (${address})`;
    const why = reasons[reason];
    const fix: Explanation =
      reason === "not_allowed"
        ? {
            id: `Jika kamera sekolah memang ada di jaringan itu, operator menambahkannya ke pengaturan ${allowedNetworksSetting}.`,
            en: `If the school's cameras really are on that network, an operator adds it to the setting ${allowedNetworksSetting}.`,
          }
        : {
            id: `Pakai alamat kamera di jaringan sekolah; yang diizinkan adalah jaringan di pengaturan ${allowedNetworksSetting}.`,
            en: `Use the camera's address on the school network; allowed are the networks in the setting ${allowedNetworksSetting}.`,
          };
    const messages = {
      id: `Pantau tidak menghubungi ${shown}: ${why.id}. ${fix.id}`,
      en: `Pantau does not connect to ${shown}: ${why.en}. ${fix.en}`,
    };
    super(messages.en);
    this.messages = messages;
  }

  /** One line for logs and error details. */
  get detail(): string {
    return `${this.host === this.address ? this.address : `${this.host} → ${this.address}`}: ${this.reason}`;
  }
}

/** A camera host name that resolves to nothing (or the resolver failed): nothing was contacted. */
export class UnknownHostError extends Error {
  constructor(
    readonly host: string,
    /** The resolver's code: ENOTFOUND, EAI_AGAIN… */
    readonly resolverCode: string,
  ) {
    super(`${resolverCode} for ${host}`);
  }
}

export type Lookup = (host: string) => Promise<readonly { address: string }[]>;

export interface NetworkGuardOptions {
  /** The OS resolver by default (getaddrinfo, the one ffmpeg would use). */
  lookup?: Lookup;
  /** os.networkInterfaces by default: read at every check, as DHCP may change them. */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolve, check, pin: every connection the gateway makes to a camera (ONVIF SOAP, ffprobe, ffmpeg) goes
 * to an address checked against the allowed networks, and to that address, not to the name resolved
 * again by someone else. A name whose addresses include one refused address is refused whole.
 */
export class NetworkGuard {
  private readonly lookup: Lookup;
  private readonly interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;

  constructor(
    private readonly allowed: AllowedNetworks,
    opts: NetworkGuardOptions = {},
  ) {
    this.lookup = opts.lookup ?? systemLookup;
    this.interfaces = opts.interfaces ?? networkInterfaces;
  }

  /**
   * Why a literal address is refused, or undefined: for scan targets, which are addresses already. The
   * gateway's own addresses are read once per checker, not once per address of a /22.
   */
  checker(): (address: string) => Refusal | undefined {
    const local = localAddresses(this.interfaces());
    return (address) => refusalOf(address, this.allowed, local);
  }

  /**
   * The address to connect to for `host` (an address, `[v6]`, or a name): checked, or an
   * AddressNotAllowedError / UnknownHostError.
   */
  async resolve(host: string): Promise<string> {
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    let addresses: string[];
    if (isIP(bare) !== 0) {
      addresses = [bare];
    } else {
      try {
        addresses = (await this.lookup(bare)).map((a) => a.address);
      } catch (e) {
        throw new UnknownHostError(host, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
      }
      if (addresses.length === 0) throw new UnknownHostError(host, "ENOTFOUND");
    }
    const local = localAddresses(this.interfaces());
    for (const address of addresses) {
      const reason = refusalOf(address, this.allowed, local);
      if (reason !== undefined) throw new AddressNotAllowedError(host, address, reason);
    }
    return addresses[0] as string;
  }

  /**
   * `url` with its host replaced by the checked address (user info, port, path and query kept), for a
   * child process that would otherwise resolve the name itself.
   */
  async pinUrl(url: string): Promise<string> {
    const u = new URL(url);
    const address = await this.resolve(u.hostname);
    u.hostname = isIP(address) === 6 ? `[${address}]` : address;
    return u.toString();
  }
}
