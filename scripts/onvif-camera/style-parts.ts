import type { CameraModel, FaultKind, ProfileModel } from "./camera-model.js";
import type { Identity } from "./options.js";
import { el, type XmlNode } from "./xml.js";

// The parts of a vendor style (camera-model.ts says what one is) that both vendors share: the namespaces,
// and the reply parts whose order the ONVIF schema fixes for every vendor. The styles are hikvision-style.ts
// and dahua-style.ts, modelled on the captures in test/fixtures/onvif/<vendor>/ (the README there says
// where each comes from).

export const NS = {
  soap: "http://www.w3.org/2003/05/soap-envelope",
  soap11: "http://schemas.xmlsoap.org/soap/envelope/",
  tt: "http://www.onvif.org/ver10/schema",
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tev: "http://www.onvif.org/ver10/events/wsdl",
  timg: "http://www.onvif.org/ver20/imaging/wsdl",
  ter: "http://www.onvif.org/ver10/error",
  dn: "http://www.onvif.org/ver10/network/wsdl",
  wsd: "http://schemas.xmlsoap.org/ws/2005/04/discovery",
  wsa: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
} as const;

export const ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
export const PROBE_MATCHES_ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
/** The cameras in the simulated schools are set to Indonesian western time (WIB, UTC+7). */
export const LOCAL_OFFSET_HOURS = 7;

/** A scope path with each segment percent-encoded, as cameras write `name/HIKVISION%20DS-2CD…`. */
export function scopePath(text: string): string {
  return text.split("/").map(encodeURIComponent).join("/");
}

export const onvifScope = (path: string): string => `onvif://www.onvif.org/${path}`;

// ---------------------------------------------------------------------------------------------------
// Parts both vendors share (the ONVIF schema fixes their order; values differ).

export function dateTime(prefix: string, ms: number): XmlNode {
  const d = new Date(ms);
  return el(prefix, [
    el("tt:Time", [
      el("tt:Hour", d.getUTCHours()),
      el("tt:Minute", d.getUTCMinutes()),
      el("tt:Second", d.getUTCSeconds()),
    ]),
    el("tt:Date", [
      el("tt:Year", d.getUTCFullYear()),
      el("tt:Month", d.getUTCMonth() + 1),
      el("tt:Day", d.getUTCDate()),
    ]),
  ]);
}

export function systemDateAndTime(dateTimeType: string, tz: string, cameraNowMs: number): XmlNode {
  return el("tds:GetSystemDateAndTimeResponse", [
    el("tds:SystemDateAndTime", [
      el("tt:DateTimeType", dateTimeType),
      el("tt:DaylightSavings", false),
      el("tt:TimeZone", [el("tt:TZ", tz)]),
      dateTime("tt:UTCDateTime", cameraNowMs),
      dateTime("tt:LocalDateTime", cameraNowMs + LOCAL_OFFSET_HOURS * 3_600_000),
    ]),
  ]);
}

export function deviceInformation(identity: Identity): XmlNode {
  return el("tds:GetDeviceInformationResponse", [
    el("tds:Manufacturer", identity.manufacturer),
    el("tds:Model", identity.model),
    el("tds:FirmwareVersion", identity.firmware),
    el("tds:SerialNumber", identity.serial),
    el("tds:HardwareId", identity.hardwareId),
  ]);
}

export function mediaUri(
  operation: "GetStreamUri" | "GetSnapshotUri",
  uri: string,
  fresh: boolean,
  timeout: string,
): XmlNode {
  return el(`trt:${operation}Response`, [
    el("trt:MediaUri", [
      el("tt:Uri", uri),
      el("tt:InvalidAfterConnect", fresh),
      el("tt:InvalidAfterReboot", fresh),
      el("tt:Timeout", timeout),
    ]),
  ]);
}

export function supportedVersions(versions: readonly (readonly [number, string])[]): XmlNode[] {
  return versions.map(([major, minor]) =>
    el("tt:SupportedVersions", [el("tt:Major", major), el("tt:Minor", minor)]),
  );
}

export function streamingCapabilities(): XmlNode {
  return el("tt:StreamingCapabilities", [
    el("tt:RTPMulticast", true),
    el("tt:RTP_TCP", true),
    el("tt:RTP_RTSP_TCP", true),
  ]);
}

export function eventsCapabilities(xaddr: string): XmlNode {
  return el("tt:Events", [
    el("tt:XAddr", xaddr),
    el("tt:WSSubscriptionPolicySupport", true),
    el("tt:WSPullPointSupport", true),
    el("tt:WSPausableSubscriptionManagerInterfaceSupport", false),
  ]);
}

export function security(tls: boolean, tls10: boolean): XmlNode {
  return el("tt:Security", [
    el("tt:TLS1.1", tls),
    el("tt:TLS1.2", tls),
    el("tt:OnboardKeyGeneration", false),
    el("tt:AccessPolicyConfig", false),
    el("tt:X.509Token", false),
    el("tt:SAMLToken", false),
    el("tt:KerberosToken", false),
    el("tt:RELToken", false),
    el("tt:Extension", [
      el("tt:TLS1.0", tls10),
      el("tt:Extension", [
        el("tt:Dot1X", false),
        el("tt:SupportedEAPMethod", 0),
        el("tt:RemoteUserHandling", false),
      ]),
    ]),
  ]);
}

function wants(categories: ReadonlySet<string>, category: string): boolean {
  return categories.size === 0 || categories.has("All") || categories.has(category);
}

/** Keeps the sections asked for; Extension rides along with any of them, as cameras do. */
export function capabilitiesResponse(
  categories: ReadonlySet<string>,
  sections: readonly (readonly [string, XmlNode])[],
): XmlNode | undefined {
  const chosen = sections.filter(([category]) => category === "Extension" || wants(categories, category));
  if (!chosen.some(([category]) => category !== "Extension")) return undefined;
  return el("tds:GetCapabilitiesResponse", [
    el(
      "tds:Capabilities",
      chosen.map(([, node]) => node),
    ),
  ]);
}

export function services(
  camera: CameraModel,
  includeCapability: boolean,
  version: readonly [number, number],
): XmlNode {
  const { paths } = camera.style;
  const service = (namespace: string, path: string, capabilities: XmlNode): XmlNode =>
    el("tds:Service", [
      el("tds:Namespace", namespace),
      el("tds:XAddr", `${camera.xaddrBase}${path}`),
      ...(includeCapability ? [el("tds:Capabilities", [capabilities])] : []),
      el("tds:Version", [el("tt:Major", version[0]), el("tt:Minor", version[1])]),
    ]);
  return el("tds:GetServicesResponse", [
    service(
      NS.tds,
      paths.device,
      el("tds:Capabilities", [
        el("tds:Network", undefined, { IPFilter: "false", ZeroConfiguration: "false", IPVersion6: "false" }),
        el("tds:Security", undefined, { UsernameToken: "true", HttpDigest: "true" }),
        el("tds:System", undefined, {
          DiscoveryResolve: "false",
          DiscoveryBye: "true",
          RemoteDiscovery: "false",
        }),
      ]),
    ),
    service(
      NS.trt,
      paths.media,
      el(
        "trt:Capabilities",
        [
          el("trt:ProfileCapabilities", undefined, { MaximumNumberOfProfiles: "2" }),
          el("trt:StreamingCapabilities", undefined, {
            RTPMulticast: "true",
            RTP_TCP: "true",
            RTP_RTSP_TCP: "true",
          }),
        ],
        { SnapshotUri: "true", Rotation: "false" },
      ),
    ),
    service(
      NS.tev,
      paths.events,
      el("tev:Capabilities", undefined, {
        WSSubscriptionPolicySupport: "true",
        WSPullPointSupport: "true",
        WSPausableSubscriptionManagerInterfaceSupport: "false",
      }),
    ),
  ]);
}

export function scopesResponse(camera: CameraModel): XmlNode {
  return el(
    "tds:GetScopesResponse",
    camera.scopes.map((scope) =>
      el("tds:Scopes", [
        el("tt:ScopeDef", /\/(name|location)\//.test(scope) ? "Configurable" : "Fixed"),
        el("tt:ScopeItem", scope),
      ]),
    ),
  );
}

export interface EncoderLook {
  readonly token: string;
  readonly name: string;
  readonly quality: string;
  readonly multicast: { readonly address: string; readonly port: number; readonly ttl: number };
  readonly sessionTimeout: string;
}

export function videoEncoderConfiguration(profile: ProfileModel, fps: number, look: EncoderLook): XmlNode {
  const { stream } = profile;
  return el(
    "tt:VideoEncoderConfiguration",
    [
      el("tt:Name", look.name),
      el("tt:UseCount", 1),
      el("tt:Encoding", stream.encoding),
      el("tt:Resolution", [el("tt:Width", stream.width), el("tt:Height", stream.height)]),
      el("tt:Quality", look.quality),
      el("tt:RateControl", [
        el("tt:FrameRateLimit", fps),
        el("tt:EncodingInterval", 1),
        el("tt:BitrateLimit", profile.index === 1 ? 4096 : 512),
      ]),
      // Media 1 has no H.265 block: cameras say H265 in Encoding and leave the codec block out.
      ...(stream.encoding === "H264"
        ? [el("tt:H264", [el("tt:GovLength", 2 * fps), el("tt:H264Profile", "Main")])]
        : []),
      el("tt:Multicast", [
        el("tt:Address", [el("tt:Type", "IPv4"), el("tt:IPv4Address", look.multicast.address)]),
        el("tt:Port", look.multicast.port),
        el("tt:TTL", look.multicast.ttl),
        el("tt:AutoStart", false),
      ]),
      el("tt:SessionTimeout", look.sessionTimeout),
    ],
    { token: look.token },
  );
}

export function faultNode(
  soap: string,
  kind: FaultKind,
  notAuthorizedReason: string,
): { status: number; node: XmlNode } {
  const [code, subcodes, reason, status] = ((): [string, string[], string, number] => {
    switch (kind) {
      case "NotAuthorized":
        return ["Sender", ["ter:NotAuthorized"], notAuthorizedReason, 400];
      case "ActionNotSupported":
        return ["Receiver", ["ter:ActionNotSupported"], "Optional Action Not Implemented", 500];
      case "WellFormed":
        return ["Sender", ["ter:WellFormed"], "Well-formed Error", 400];
      case "VersionMismatch":
        return ["VersionMismatch", [], "SOAP Version Mismatch", 500];
      case "NoProfile":
        return ["Sender", ["ter:InvalidArgVal", "ter:NoProfile"], "No such profile", 400];
      case "NoSuchService":
        return ["Sender", ["ter:InvalidArgVal", "ter:NoSuchService"], "No such service", 400];
    }
  })();
  const subcode = subcodes.reduceRight<XmlNode | undefined>(
    (inner, value) => el(`${soap}:Subcode`, [el(`${soap}:Value`, value), ...(inner ? [inner] : [])]),
    undefined,
  );
  const node = el(`${soap}:Fault`, [
    el(`${soap}:Code`, [el(`${soap}:Value`, `${soap}:${code}`), ...(subcode ? [subcode] : [])]),
    el(`${soap}:Reason`, [el(`${soap}:Text`, reason, { "xml:lang": "en" })]),
  ]);
  return { status, node };
}
