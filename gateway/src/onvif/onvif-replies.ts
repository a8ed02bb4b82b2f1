import { attr, child, children, text, type XmlNode } from "./xml.js";

// Pure readers of ONVIF and WS-Discovery replies, tested on captured camera XML (test/fixtures/onvif).
// Each takes the parsed document and returns plain values, or undefined where a camera left a field out.

/** The SOAP Body of an envelope; undefined when the document is not a SOAP envelope. */
export function soapBody(doc: XmlNode): XmlNode | undefined {
  const body = child(doc, "Envelope", "Body");
  return typeof body === "object" && body !== null ? (body as XmlNode) : body === "" ? {} : undefined;
}

export interface SoapFault {
  code: string;
  /** The innermost subcode without its prefix, e.g. `NotAuthorized`, `ActionNotSupported`. */
  subcode: string | undefined;
  reason: string;
}

const local = (qname: string | undefined) => qname?.replace(/^.*:/, "");

/** A SOAP 1.2 fault (or a SOAP 1.1 one, which some cameras still send). */
export function soapFault(body: XmlNode): SoapFault | undefined {
  const f = child(body, "Fault");
  if (f === undefined) return undefined;
  // SOAP 1.2: Code/Value + nested Subcode/Value; Reason/Text.
  let subcode: string | undefined;
  let sc = child(f, "Code", "Subcode");
  while (sc !== undefined) {
    subcode = local(text(sc, "Value")) ?? subcode;
    sc = child(sc, "Subcode");
  }
  const code = local(text(f, "Code", "Value")) ?? local(text(f, "faultcode")) ?? "unknown";
  const reason = text(f, "Reason", "Text") ?? text(f, "faultstring") ?? "";
  // SOAP 1.1 puts the ONVIF subcode into faultcode (`ter:NotAuthorized`) or its detail.
  return { code, subcode: subcode ?? (code === "Sender" || code === "Receiver" ? undefined : code), reason };
}

const int = (s: string | undefined): number | undefined => {
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return undefined;
  return Number(s);
};

function dateTimeOf(dt: unknown): Date | undefined {
  const y = int(text(dt, "Date", "Year"));
  const mo = int(text(dt, "Date", "Month"));
  const d = int(text(dt, "Date", "Day"));
  const h = int(text(dt, "Time", "Hour"));
  const mi = int(text(dt, "Time", "Minute"));
  const s = int(text(dt, "Time", "Second"));
  if ([y, mo, d, h, mi, s].some((v) => v === undefined)) return undefined;
  if (y === undefined || mo === undefined || y < 1970 || y >= 2200) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/**
 * The camera's UTC clock from GetSystemDateAndTime. Cameras that leave UTCDateTime out give only their
 * local time with a POSIX TZ string; that is read as UTC, which is right for the many set to UTC+0.
 */
export function parseSystemDateAndTime(body: XmlNode): Date | undefined {
  const sdt = child(body, "GetSystemDateAndTimeResponse", "SystemDateAndTime");
  return dateTimeOf(child(sdt, "UTCDateTime")) ?? dateTimeOf(child(sdt, "LocalDateTime"));
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export function parseDeviceInformation(body: XmlNode): DeviceInformation | undefined {
  const r = child(body, "GetDeviceInformationResponse");
  if (r === undefined) return undefined;
  return {
    manufacturer: text(r, "Manufacturer") ?? "",
    model: text(r, "Model") ?? "",
    firmwareVersion: text(r, "FirmwareVersion") ?? "",
    serialNumber: text(r, "SerialNumber") ?? "",
    hardwareId: text(r, "HardwareId") ?? "",
  };
}

/** The media service's address from GetCapabilities. */
export function parseMediaXaddr(body: XmlNode): string | undefined {
  return text(body, "GetCapabilitiesResponse", "Capabilities", "Media", "XAddr") || undefined;
}

export interface OnvifProfile {
  token: string;
  name: string;
  /** As the camera says it: `H264`, `H265`, `JPEG`, `MPEG4`… */
  encoding: string | undefined;
  width: number | undefined;
  height: number | undefined;
  fps: number | undefined;
  bitrateKbps: number | undefined;
}

/** Media (ver10) GetProfiles: only profiles with a video encoder are of use to Pantau. */
export function parseProfiles(body: XmlNode): OnvifProfile[] | undefined {
  const r = child(body, "GetProfilesResponse");
  if (r === undefined) return undefined;
  const out: OnvifProfile[] = [];
  for (const p of children(r, "Profiles")) {
    const token = attr(p, "token");
    const vec = child(p, "VideoEncoderConfiguration");
    if (token === undefined || token === "" || vec === undefined) continue;
    const fps = Number(text(vec, "RateControl", "FrameRateLimit"));
    out.push({
      token,
      name: text(p, "Name") ?? token,
      encoding: text(vec, "Encoding")?.toUpperCase(),
      width: int(text(vec, "Resolution", "Width")),
      height: int(text(vec, "Resolution", "Height")),
      fps: Number.isFinite(fps) && fps > 0 ? fps : undefined,
      bitrateKbps: int(text(vec, "RateControl", "BitrateLimit")),
    });
  }
  return out;
}

/** MediaUri/Uri of a GetStreamUri or GetSnapshotUri reply. */
export function parseMediaUri(body: XmlNode, response: "GetStreamUriResponse" | "GetSnapshotUriResponse") {
  return text(body, response, "MediaUri", "Uri") || undefined;
}

export interface ProbeMatch {
  /** Endpoint reference, e.g. `urn:uuid:…`: the device's identity across address changes. */
  endpoint: string;
  types: string[];
  scopes: string[];
  xaddrs: string[];
  metadataVersion: number | undefined;
}

const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter((w) => w !== "");

/** A WS-Discovery ProbeMatches message: which probe it answers and the devices it names. */
export function parseProbeMatches(doc: XmlNode): { relatesTo: string | undefined; matches: ProbeMatch[] } {
  const env = child(doc, "Envelope");
  const relatesTo = text(env, "Header", "RelatesTo")?.trim();
  const matches: ProbeMatch[] = [];
  for (const m of children(child(env, "Body", "ProbeMatches"), "ProbeMatch")) {
    const endpoint = text(m, "EndpointReference", "Address")?.trim();
    if (endpoint === undefined || endpoint === "") continue;
    matches.push({
      endpoint,
      types: words(text(m, "Types")),
      scopes: words(text(m, "Scopes")),
      xaddrs: words(text(m, "XAddrs")),
      metadataVersion: int(text(m, "MetadataVersion")),
    });
  }
  return { relatesTo, matches };
}

export interface Scopes {
  name: string | undefined;
  hardware: string | undefined;
  location: string | undefined;
}

/** Reads `onvif://www.onvif.org/<kind>/<value>` scopes; values are percent-encoded by most cameras. */
export function parseScopes(scopes: readonly string[]): Scopes {
  const out: Scopes = { name: undefined, hardware: undefined, location: undefined };
  for (const s of scopes) {
    const m = /^onvif:\/\/www\.onvif\.org\/(name|hardware|location)\/(.*)$/i.exec(s);
    if (!m) continue;
    const [, which = "", raw = ""] = m;
    const kind = which.toLowerCase() as keyof Scopes;
    let value = raw;
    try {
      value = decodeURIComponent(value);
    } catch {
      // A camera that does not encode its scopes sends a literal '%'; keep the text as it came.
    }
    // Several location scopes (country/city/…) join into one line.
    out[kind] = kind === "location" && out.location !== undefined ? `${out.location}, ${value}` : value;
  }
  return out;
}
