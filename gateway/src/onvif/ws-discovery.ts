import dgram from "node:dgram";
import { randomUUID } from "node:crypto";
import { networkInterfaces } from "node:os";
import type { Logger } from "../log/logger.js";
import { parseProbeMatches, parseScopes, type Scopes } from "./onvif-replies.js";
import { parseXml, XmlError } from "./xml.js";

/** WS-Discovery 2005/04 as ONVIF uses it (ONVIF Core §7.3; SOAP-over-UDP). */
export const WS_DISCOVERY_GROUP = "239.255.255.250";
export const WS_DISCOVERY_PORT = 3702;

export interface ProbeRequest {
  /** Send one multicast Probe (and its repeat) to the group. */
  multicast: boolean;
  /** IPv4 address of the interface the multicast leaves by; the OS's choice when unset. */
  interfaceAddress?: string | undefined;
  /** Unicast Probes, for networks where multicast does not cross (VLANs). IPv4 literals only. */
  hosts: readonly string[];
  /** Destination port; 3702 everywhere but in tests. */
  port?: number;
  timeoutMs: number;
  /** Finish as soon as this many distinct devices answered. */
  expect?: number | undefined;
}

export interface DiscoveredDevice {
  /** Endpoint reference (`urn:uuid:…`): the key devices are de-duplicated and re-found by. */
  uuid: string;
  /** The address the answer came from: the only host known to be the device. */
  address: string;
  /** XAddrs as the device announced them. */
  xaddrs: string[];
  /** The device service URL to use: an XAddr on `address`, never one on a host that did not answer. */
  deviceServiceUrl: string | null;
  /** True when no XAddr was on the answering host and Pantau moved the XAddr's port/path onto it. */
  xaddrRewritten: boolean;
  scopes: Scopes;
  types: string[];
  answeredAfterMs: number;
}

export interface ProbeReport {
  /** One entry per device UUID: the first answer that named it. */
  devices: DiscoveredDevice[];
  /**
   * Every distinct (UUID, answering address) pair, in order of arrival: a UUID is only a claim, and anyone
   * can answer with another device's; the re-probe must see that the camera's own address answered too.
   */
  sightings: DiscoveredDevice[];
  durationMs: number;
  /** Datagrams that were not a usable answer to this probe, by reason (the scan carries on). */
  ignored: Record<string, number>;
}

const PROBE_TYPES = "dn:NetworkVideoTransmitter";
/** SOAP-over-UDP §3.4: a multicast message is sent again after a short random delay (UDP may drop it). */
const MULTICAST_REPEAT_DELAY_MS = [50, 250] as const;
/**
 * Unicast probes per socket. A probe to an address nobody holds waits in the kernel for ARP (about 3 s) and
 * counts against its socket's send buffer meanwhile; with a whole /24 on one socket the buffer filled and
 * probes to the last addresses left only after the scan had ended (measured in the netns test: a camera at
 * .200 answered after 4 s). 32 queued probes stay well inside the default 208 KB buffer.
 */
const HOSTS_PER_SOCKET = 32;

export function probeMessage(messageId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">` +
    `<s:Header><a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
    `<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>` +
    `<s:Body><d:Probe><d:Types>${PROBE_TYPES}</d:Types></d:Probe></s:Body></s:Envelope>`
  );
}

/**
 * Chooses the device service URL: an XAddr whose host is the answering address; else the first http
 * XAddr moved onto the answering address. A forged or misconfigured answer can name any host in its
 * XAddrs; following it would let one datagram aim the gateway at another machine.
 */
export function chooseDeviceUrl(
  xaddrs: readonly string[],
  address: string,
): { url: string | null; rewritten: boolean } {
  const http = xaddrs.flatMap((x) => {
    try {
      const u = new URL(x);
      return u.protocol === "http:" ? [u] : [];
    } catch {
      return [];
    }
  });
  const same = http.find((u) => u.hostname === address);
  if (same) return { url: same.toString(), rewritten: false };
  const first = http[0];
  if (!first) return { url: null, rewritten: false };
  first.hostname = address;
  return { url: first.toString(), rewritten: true };
}

/**
 * One spelling per device: Dahua firmware names itself `uuid:…` where others say `urn:uuid:…` (RFC 4122
 * URN), and UUIDs are case-insensitive. Other endpoint forms (URLs) are kept as sent.
 */
export function normalizeEndpoint(endpoint: string): string {
  const m = /^(?:urn:)?uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(
    endpoint.trim(),
  );
  return m?.[1] ? `urn:uuid:${m[1].toLowerCase()}` : endpoint.trim();
}

/** Resolves an interface name (`eth0`) or address to its IPv4 address; undefined when there is none. */
export function interfaceAddress(nameOrAddress: string): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== "IPv4") continue;
      if (name === nameOrAddress || a.address === nameOrAddress) return a.address;
    }
  }
  return undefined;
}

/** The multicast Probe could not leave this machine (no route for 239.255.255.250 on that interface). */
export class MulticastError extends Error {
  constructor(readonly code: string) {
    super(`the multicast Probe could not be sent (${code}): no multicast route on this interface`);
    this.name = "MulticastError";
  }
}

/** Sends WS-Discovery Probes (multicast and/or unicast) and gathers the ProbeMatches that answer them. */
export class WsDiscovery {
  constructor(
    private readonly log: Logger,
    private readonly maxDatagramBytes: number,
  ) {}

  probe(req: ProbeRequest): Promise<ProbeReport> {
    const messageId = `urn:uuid:${randomUUID()}`;
    const message = Buffer.from(probeMessage(messageId), "utf8");
    const port = req.port ?? WS_DISCOVERY_PORT;
    const started = performance.now();
    const devices = new Map<string, DiscoveredDevice>();
    const sightings = new Map<string, DiscoveredDevice>();
    const answered = new Set<string>();
    const ignored: Record<string, number> = {};
    const ignore = (reason: string) => {
      ignored[reason] = (ignored[reason] ?? 0) + 1;
    };
    const sockets: dgram.Socket[] = [];
    const timers: NodeJS.Timeout[] = [];

    return new Promise<ProbeReport>((resolve, reject) => {
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.close();
        if (error) reject(error);
        else
          resolve({
            devices: [...devices.values()].sort((a, b) => a.answeredAfterMs - b.answeredAfterMs),
            sightings: [...sightings.values()],
            durationMs: Math.round(performance.now() - started),
            ignored,
          });
      };
      const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
        if (msg.length > this.maxDatagramBytes) {
          ignore("oversized");
          return;
        }
        let parsed: ReturnType<typeof parseProbeMatches>;
        try {
          parsed = parseProbeMatches(parseXml(msg.toString("utf8"), this.maxDatagramBytes));
        } catch (e) {
          // Whatever a datagram holds, it ends here: one bad packet must never end the scan or the process.
          if (!(e instanceof XmlError))
            this.log.debug({ err: e, from: rinfo.address }, "unreadable datagram");
          ignore("malformed");
          return;
        }
        if (parsed.relatesTo !== messageId) {
          ignore("not an answer to this probe");
          return;
        }
        if (parsed.matches.length === 0) {
          ignore("no device in the answer");
          return;
        }
        for (const m of parsed.matches) {
          const uuid = normalizeEndpoint(m.endpoint);
          const pair = `${uuid} ${rinfo.address}`;
          if (sightings.has(pair)) continue;
          const chosen = chooseDeviceUrl(m.xaddrs, rinfo.address);
          const device: DiscoveredDevice = {
            uuid,
            address: rinfo.address,
            xaddrs: m.xaddrs,
            deviceServiceUrl: chosen.url,
            xaddrRewritten: chosen.rewritten,
            scopes: parseScopes(m.scopes),
            types: m.types,
            answeredAfterMs: Math.round(performance.now() - started),
          };
          sightings.set(pair, device);
          if (!devices.has(uuid)) devices.set(uuid, device);
        }
        answered.add(rinfo.address);
        // Done early when the count asked for is reached, or when a unicast-only scan heard every host.
        if (req.expect !== undefined && devices.size >= req.expect) finish();
        else if (!req.multicast && req.hosts.length > 0 && req.hosts.every((h) => answered.has(h))) finish();
      };
      let multicastFailure: string | undefined;
      const send = (socket: dgram.Socket, host: string) => {
        if (done) return;
        socket.send(message, port, host, (e) => {
          if (!e) return;
          const code = (e as NodeJS.ErrnoException).code ?? e.message;
          // One unreachable host (no ARP answer, no route) must not end the scan of the others.
          ignore(`send failed: ${code}`);
          if (host === WS_DISCOVERY_GROUP) multicastFailure = code;
        });
      };
      /** A socket on the chosen interface, answers read from it, ready once bound. */
      const open = () =>
        new Promise<dgram.Socket>((ready, fail) => {
          const socket = dgram.createSocket({ type: "udp4" });
          sockets.push(socket);
          socket.on("error", (e) => {
            this.log.warn({ err: e }, "WS-Discovery socket error");
            finish(e);
            fail(e);
          });
          socket.on("message", onMessage);
          // finish() closes every socket made so far, bound or not; send() sends nothing once it has run.
          socket.bind(0, req.interfaceAddress, () => ready(socket));
        });

      const start = async () => {
        const first = await open();
        if (req.multicast) {
          first.setMulticastTTL(1);
          if (req.interfaceAddress !== undefined) first.setMulticastInterface(req.interfaceAddress);
          send(first, WS_DISCOVERY_GROUP);
          const [lo, hi] = MULTICAST_REPEAT_DELAY_MS;
          timers.push(setTimeout(() => send(first, WS_DISCOVERY_GROUP), lo + Math.random() * (hi - lo)));
        }
        timers.push(
          setTimeout(() => {
            // A multicast-only scan whose Probe never left (no multicast route: the `onvif` package's silent
            // empty list) is an error to explain, not "no cameras here".
            if (multicastFailure !== undefined && req.hosts.length === 0 && devices.size === 0) {
              finish(new MulticastError(multicastFailure));
            } else finish();
          }, req.timeoutMs),
        );
        for (let i = 0; i < req.hosts.length && !done; i += HOSTS_PER_SOCKET) {
          const socket = i === 0 ? first : await open();
          for (const h of req.hosts.slice(i, i + HOSTS_PER_SOCKET)) send(socket, h);
        }
      };
      start().catch((e: unknown) => finish(e as Error));
    });
  }
}
