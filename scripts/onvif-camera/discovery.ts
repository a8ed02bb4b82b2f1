import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { CameraModel } from "./camera-model.js";
import { NS } from "./style-parts.js";
import { child, parseXml, resolveQName, XmlError, type XmlElement } from "./xml.js";

// WS-Discovery 2005/04 target service, SOAP-over-UDP: answers Probes for an ONVIF video transmitter
// with one unicast ProbeMatches; a multicast Probe after a random delay of up to APP_MAX_DELAY
// (WS-Discovery §2.4, default 500 ms) so that a whole school of cameras does not answer in the same
// millisecond.

export const MULTICAST_GROUP = "239.255.255.250";
/** Datagrams larger than this are dropped unread; a Probe is a few hundred bytes. */
const MAX_DATAGRAM_BYTES = 64 * 1024;
const OVERSIZED_DATAGRAM_BYTES = 60 * 1024;
const RFC3986 = "http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986";
const STRCMP0 = "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0";

/** The types an ONVIF Profile S camera implements, as (namespace, local name). */
const CAMERA_TYPES = [
  { ns: NS.dn, local: "NetworkVideoTransmitter" },
  { ns: NS.tds, local: "Device" },
] as const;

export interface Probe {
  readonly messageId: string;
  /** Resolved types; an unresolvable QName is kept as undefined (it can match nothing). */
  readonly types: readonly ({ ns: string; local: string } | undefined)[];
  readonly scopes: readonly string[];
  readonly matchBy: string;
}

/** A Probe from a datagram, or undefined for anything else (Hello, Bye, garbage). */
export function parseProbe(datagram: Buffer): Probe | undefined {
  let envelope: XmlElement;
  try {
    envelope = parseXml(datagram.toString("utf8"));
  } catch (err) {
    if (err instanceof XmlError) return undefined;
    throw err;
  }
  if (envelope.ns !== NS.soap || envelope.local !== "Envelope") return undefined;
  const probe = child(child(envelope, NS.soap, "Body"), NS.wsd, "Probe");
  const messageId = child(child(envelope, NS.soap, "Header"), NS.wsa, "MessageID")?.text;
  if (probe === undefined || messageId === undefined || messageId === "") return undefined;
  const typesElement = child(probe, NS.wsd, "Types");
  const scopesElement = child(probe, NS.wsd, "Scopes");
  return {
    messageId,
    types: words(typesElement?.text).map((qname) => resolveQName(qname, typesElement?.scope ?? new Map())),
    scopes: words(scopesElement?.text),
    matchBy: scopesElement?.attrs.get("MatchBy") ?? RFC3986,
  };
}

const words = (text: string | undefined): string[] => (text ?? "").split(/\s+/).filter((w) => w !== "");

/**
 * WS-Discovery §5.1: a Probe matches when the camera implements every listed type (none listed: any)
 * and every listed scope matches one of the camera's scopes under the Probe's MatchBy rule.
 */
export function probeMatches(probe: Probe, cameraScopes: readonly string[]): boolean {
  const typesMatch = probe.types.every(
    (type) => type !== undefined && CAMERA_TYPES.some((t) => t.ns === type.ns && t.local === type.local),
  );
  const scopeMatches = (wanted: string): boolean =>
    cameraScopes.some((scope) => {
      if (probe.matchBy === STRCMP0) return scope === wanted;
      if (probe.matchBy === RFC3986) return rfc3986Match(wanted, scope);
      return false;
    });
  return typesMatch && probe.scopes.every(scopeMatches);
}

/** RFC 3986 rule (WS-Discovery §5.1): same scheme and authority, and the probe's path segments a prefix. */
function rfc3986Match(wanted: string, scope: string): boolean {
  const split = (uri: string): { origin: string; segments: string[] } | undefined => {
    const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(uri);
    if (!match) return undefined;
    return {
      origin: `${(match[1] ?? "").toLowerCase()}://${(match[2] ?? "").toLowerCase()}`,
      segments: (match[3] ?? "").split("/").filter((s) => s !== ""),
    };
  };
  const w = split(wanted);
  const s = split(scope);
  if (w === undefined || s === undefined || w.origin !== s.origin) return false;
  return w.segments.length <= s.segments.length && w.segments.every((seg, i) => seg === s.segments[i]);
}

export interface DiscoveryOptions {
  readonly host: string;
  readonly port: number;
  readonly multicast: boolean;
  readonly maxDelayMs: number;
  /** How long a unicast Probe waits for its answer (a busy camera); 0 answers at once. */
  readonly unicastDelayMs: number;
  /** `discovery-garbage`: garbage first, then the real reply; `discovery-oversized`: one huge reply only. */
  readonly misbehave: "discovery-garbage" | "discovery-oversized" | undefined;
}

/**
 * The UDP side of the camera. Unicast probes arrive on a socket bound to host:port; with --multicast a
 * second socket bound to 0.0.0.0:port joins the group on host's interface, because on Linux a socket
 * bound to a unicast address never sees multicast. Every reply leaves from host:port, to the sender.
 */
export class DiscoveryResponder {
  private readonly sockets: Socket[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly instanceId = Math.floor(Date.now() / 1000);
  private messageNumber = 0;
  private unicast: Socket | undefined;

  constructor(
    private readonly camera: CameraModel,
    private readonly options: DiscoveryOptions,
    private readonly log: (message: string) => void,
  ) {}

  async start(): Promise<void> {
    const { host, port, multicast } = this.options;
    this.unicast = await this.bind(port, host, multicast);
    if (multicast) {
      const group = await this.bind(port, "0.0.0.0", true);
      group.addMembership(MULTICAST_GROUP, host);
    }
  }

  close(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    for (const socket of this.sockets) socket.close();
    this.sockets.length = 0;
  }

  private bind(port: number, address: string, reuseAddr: boolean): Promise<Socket> {
    const socket = createSocket({ type: "udp4", reuseAddr });
    this.sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, address, () => {
        socket.off("error", reject);
        // A bad datagram or a failed send must never take the camera down.
        socket.on("error", (err) => this.log(`discovery socket ${address}:${port}: ${err.message}`));
        socket.on("message", (msg, rinfo) => this.onDatagram(msg, rinfo, address === "0.0.0.0"));
        resolve(socket);
      });
    });
  }

  private onDatagram(datagram: Buffer, from: RemoteInfo, viaGroup: boolean): void {
    if (datagram.length > MAX_DATAGRAM_BYTES) return;
    const probe = parseProbe(datagram);
    if (probe === undefined || !probeMatches(probe, this.camera.scopes)) return;
    // APP_MAX_DELAY spreads the answers of many devices to one multicast Probe (WS-Discovery §3.1.1); a
    // unicast Probe is answered at once (or after --unicast-delay-ms, as a busy camera does).
    const delay = viaGroup
      ? this.options.maxDelayMs > 0
        ? randomInt(this.options.maxDelayMs + 1)
        : 0
      : this.options.unicastDelayMs;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.answer(probe, from);
    }, delay);
    this.pending.add(timer);
  }

  private answer(probe: Probe, to: RemoteInfo): void {
    const messages = this.replies(probe);
    this.log(
      `ProbeMatches for ${probe.messageId} to ${to.address}:${to.port} (${messages.length} datagram(s))`,
    );
    for (const message of messages) {
      this.unicast?.send(message, to.port, to.address, (err) => {
        if (err) this.log(`cannot answer ${to.address}:${to.port}: ${err.message}`);
      });
    }
  }

  private replies(probe: Probe): Buffer[] {
    const { camera } = this;
    const messageId = (): string => `${camera.style.endpointPrefix}${randomUUID()}`;
    const matches = (relatesTo: string, scopes = camera.scopes): Buffer =>
      Buffer.from(
        camera.style.probeMatches(
          camera,
          relatesTo,
          messageId(),
          { instanceId: this.instanceId, messageNumber: ++this.messageNumber },
          scopes,
        ),
      );
    switch (this.options.misbehave) {
      case undefined:
        return [matches(probe.messageId)];
      case "discovery-garbage": {
        const valid = matches(probe.messageId);
        return [
          randomBytes(64),
          valid.subarray(0, Math.floor(valid.length / 2)),
          matches(`urn:uuid:${randomUUID()}`),
          valid,
        ];
      }
      case "discovery-oversized": {
        const scopes = [...camera.scopes];
        let size = matches(probe.messageId).length;
        for (let i = 0; size < OVERSIZED_DATAGRAM_BYTES; i++) {
          const padding = `onvif://www.onvif.org/extension/padding/${String(i).padStart(6, "0")}`;
          scopes.push(padding);
          size += padding.length + 1;
        }
        return [matches(probe.messageId, scopes)];
      }
    }
  }
}
