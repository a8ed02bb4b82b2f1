import type { CameraModel, ProfileModel } from "./camera-model.js";
import type { Identity } from "./options.js";
import { el, serialize, type XmlLayout, type XmlNode } from "./xml.js";

// How each vendor's firmware writes its replies: prefixes, namespace declarations, element order,
// whitespace, tokens and the extra elements it adds. Modelled on the captures in
// test/fixtures/onvif/<vendor>/ (see the README there for where each comes from).

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

const ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
const PROBE_MATCHES_ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
/** The cameras in the simulated schools are set to Indonesian western time (WIB, UTC+7). */
const LOCAL_OFFSET_HOURS = 7;

export type FaultKind =
  "NotAuthorized" | "ActionNotSupported" | "WellFormed" | "VersionMismatch" | "NoProfile" | "NoSuchService";

export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One message number per sent WS-Discovery message, and the instance they belong to (WS-Discovery §7). */
export interface AppSequence {
  readonly instanceId: number;
  readonly messageNumber: number;
}

export interface VendorStyle {
  readonly defaults: Identity;
  readonly profileNames: readonly [{ token: string; name: string }, { token: string; name: string }];
  readonly endpointPrefix: string;
  /** Service paths as advertised in GetCapabilities and GetServices. */
  readonly paths: { readonly device: string; readonly media: string; readonly events: string };
  defaultStreamUri(host: string, index: 1 | 2): string;
  scopes(identity: Identity): string[];
  /** A whole HTTP reply body around the given Body content. */
  envelope(body: XmlNode): string;
  fault(kind: FaultKind): Reply;
  probeMatches(
    camera: CameraModel,
    relatesTo: string,
    messageId: string,
    seq: AppSequence,
    scopes?: readonly string[],
  ): string;
  systemDateAndTime(cameraNowMs: number): XmlNode;
  deviceInformation(camera: CameraModel): XmlNode;
  /** Undefined when none of the requested categories exists (the camera then faults). */
  capabilities(camera: CameraModel, categories: ReadonlySet<string>): XmlNode | undefined;
  services(camera: CameraModel, includeCapability: boolean): XmlNode;
  scopesResponse(camera: CameraModel): XmlNode;
  profiles(camera: CameraModel, empty: boolean): XmlNode;
  mediaUri(operation: "GetStreamUri" | "GetSnapshotUri", uri: string): XmlNode;
}

/** A scope path with each segment percent-encoded, as cameras write `name/HIKVISION%20DS-2CD…`. */
export function scopePath(text: string): string {
  return text.split("/").map(encodeURIComponent).join("/");
}

const onvifScope = (path: string): string => `onvif://www.onvif.org/${path}`;

// ---------------------------------------------------------------------------------------------------
// Parts both vendors share (the ONVIF schema fixes their order; values differ).

function dateTime(prefix: string, ms: number): XmlNode {
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

function systemDateAndTime(dateTimeType: string, tz: string, cameraNowMs: number): XmlNode {
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

function deviceInformation(identity: Identity, hardwareId: string): XmlNode {
  return el("tds:GetDeviceInformationResponse", [
    el("tds:Manufacturer", identity.manufacturer),
    el("tds:Model", identity.model),
    el("tds:FirmwareVersion", identity.firmware),
    el("tds:SerialNumber", identity.serial),
    el("tds:HardwareId", hardwareId),
  ]);
}

function mediaUri(
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

function supportedVersions(versions: readonly (readonly [number, string])[]): XmlNode[] {
  return versions.map(([major, minor]) =>
    el("tt:SupportedVersions", [el("tt:Major", major), el("tt:Minor", minor)]),
  );
}

function streamingCapabilities(): XmlNode {
  return el("tt:StreamingCapabilities", [
    el("tt:RTPMulticast", true),
    el("tt:RTP_TCP", true),
    el("tt:RTP_RTSP_TCP", true),
  ]);
}

function eventsCapabilities(xaddr: string): XmlNode {
  return el("tt:Events", [
    el("tt:XAddr", xaddr),
    el("tt:WSSubscriptionPolicySupport", true),
    el("tt:WSPullPointSupport", true),
    el("tt:WSPausableSubscriptionManagerInterfaceSupport", false),
  ]);
}

function security(tls: boolean, tls10: boolean): XmlNode {
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
function capabilitiesResponse(
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

function services(
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

function scopesResponse(camera: CameraModel): XmlNode {
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

interface EncoderLook {
  readonly token: string;
  readonly name: string;
  readonly quality: string;
  readonly multicast: { readonly address: string; readonly port: number; readonly ttl: number };
  readonly sessionTimeout: string;
}

function videoEncoderConfiguration(profile: ProfileModel, fps: number, look: EncoderLook): XmlNode {
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

function faultNode(
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

// ---------------------------------------------------------------------------------------------------
// Hikvision: `env:` prefix, one long namespace list on every reply (DS-2CD3955FWD-IWS, V5.5 firmware),
// a newline after every end tag, tokens Profile_1/Profile_2, Media at /onvif/Media.

const HIKVISION_NAMESPACES: Record<string, string> = {
  "xmlns:env": NS.soap,
  "xmlns:soapenc": "http://www.w3.org/2003/05/soap-encoding",
  "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
  "xmlns:xs": "http://www.w3.org/2001/XMLSchema",
  "xmlns:tt": NS.tt,
  "xmlns:tds": NS.tds,
  "xmlns:trt": NS.trt,
  "xmlns:timg": NS.timg,
  "xmlns:tev": NS.tev,
  "xmlns:tptz": "http://www.onvif.org/ver20/ptz/wsdl",
  "xmlns:tan": "http://www.onvif.org/ver20/analytics/wsdl",
  "xmlns:tst": "http://www.onvif.org/ver10/storage/wsdl",
  "xmlns:ter": NS.ter,
  "xmlns:dn": NS.dn,
  "xmlns:tns1": "http://www.onvif.org/ver10/topics",
  "xmlns:tmd": "http://www.onvif.org/ver10/deviceIO/wsdl",
  "xmlns:wsdl": "http://schemas.xmlsoap.org/wsdl",
  "xmlns:wsoap12": "http://schemas.xmlsoap.org/wsdl/soap12",
  "xmlns:http": "http://schemas.xmlsoap.org/wsdl/http",
  "xmlns:d": NS.wsd,
  "xmlns:wsadis": NS.wsa,
  "xmlns:wsnt": "http://docs.oasis-open.org/wsn/b-2",
  "xmlns:wsa": "http://www.w3.org/2005/08/addressing",
  "xmlns:wstop": "http://docs.oasis-open.org/wsn/t-1",
  "xmlns:wsrf-bf": "http://docs.oasis-open.org/wsrf/bf-2",
  "xmlns:wsntw": "http://docs.oasis-open.org/wsn/bw-2",
  "xmlns:wsrf-rw": "http://docs.oasis-open.org/wsrf/rw-2",
  "xmlns:wsaw": "http://www.w3.org/2006/05/addressing/wsdl",
  "xmlns:wsrf-r": "http://docs.oasis-open.org/wsrf/r-2",
  "xmlns:trc": "http://www.onvif.org/ver10/recording/wsdl",
  "xmlns:tse": "http://www.onvif.org/ver10/search/wsdl",
  "xmlns:trp": "http://www.onvif.org/ver10/replay/wsdl",
  "xmlns:tnshik": "http://www.hikvision.com/2011/event/topics",
  "xmlns:hikwsd": "http://www.onvifext.com/onvif/ext/ver10/wsdl",
  "xmlns:hikxsd": "http://www.onvifext.com/onvif/ext/ver10/schema",
  "xmlns:tas": "http://www.onvif.org/ver10/advancedsecurity/wsdl",
};

const HIKVISION_LAYOUT: XmlLayout = "newline-after-end-tag";

function hikvisionDocument(declarationEncoding: string, children: readonly XmlNode[]): string {
  return (
    `<?xml version="1.0" encoding="${declarationEncoding}"?>\n` +
    serialize(el("env:Envelope", children, HIKVISION_NAMESPACES), HIKVISION_LAYOUT)
  );
}

const hikvision: VendorStyle = {
  defaults: {
    name: "HIKVISION DS-2CD2043G2-I",
    hardware: "DS-2CD2043G2-I",
    location: "city/hangzhou",
    manufacturer: "HIKVISION",
    model: "DS-2CD2043G2-I",
    firmware: "V5.7.3 build 220112",
    serial: "DS-2CD2043G2-I20220101AAWRJ00000001",
  },
  profileNames: [
    { token: "Profile_1", name: "mainStream" },
    { token: "Profile_2", name: "subStream" },
  ],
  endpointPrefix: "urn:uuid:",
  paths: { device: "/onvif/device_service", media: "/onvif/Media", events: "/onvif/Events" },
  defaultStreamUri: (host, index) => `rtsp://${host}:554/Streaming/Channels/10${index}`,
  scopes: (identity) => [
    onvifScope("type/video_encoder"),
    onvifScope("Profile/Streaming"),
    onvifScope(`hardware/${scopePath(identity.hardware)}`),
    onvifScope(`name/${scopePath(identity.name)}`),
    onvifScope(`location/${scopePath(identity.location)}`),
  ],
  envelope: (body) => hikvisionDocument("UTF-8", [el("env:Body", [body])]),
  fault(kind) {
    const fault = faultNode(
      "env",
      kind,
      "The action requested requires authorization and the sender is not authorized",
    );
    return { status: fault.status, body: this.envelope(fault.node) };
  },
  probeMatches: (camera, relatesTo, messageId, seq, scopes = camera.scopes) =>
    hikvisionDocument("utf-8", [
      el("env:Header", [
        el("wsadis:MessageID", messageId),
        el("wsadis:RelatesTo", relatesTo),
        el("wsadis:To", ANONYMOUS),
        el("wsadis:Action", PROBE_MATCHES_ACTION),
        el("d:AppSequence", undefined, {
          InstanceId: String(seq.instanceId),
          MessageNumber: String(seq.messageNumber),
        }),
      ]),
      el("env:Body", [
        el("d:ProbeMatches", [
          el("d:ProbeMatch", [
            el("wsadis:EndpointReference", [el("wsadis:Address", camera.endpoint)]),
            el("d:Types", "dn:NetworkVideoTransmitter tds:Device"),
            el("d:Scopes", scopes.join(" ")),
            el("d:XAddrs", `${camera.xaddrBase}${camera.style.paths.device}`),
            el("d:MetadataVersion", 10),
          ]),
        ]),
      ]),
    ]),
  systemDateAndTime: (now) => systemDateAndTime("Manual", `CST-${LOCAL_OFFSET_HOURS}:00:00`, now),
  deviceInformation: (camera) => deviceInformation(camera.identity, "88"),
  capabilities(camera, categories) {
    const x = (path: string): XmlNode => el("tt:XAddr", `${camera.xaddrBase}${path}`);
    return capabilitiesResponse(categories, [
      [
        "Analytics",
        el("tt:Analytics", [
          x("/onvif/Analytics"),
          el("tt:RuleSupport", true),
          el("tt:AnalyticsModuleSupport", true),
        ]),
      ],
      [
        "Device",
        el("tt:Device", [
          x(this.paths.device),
          el("tt:Network", [
            el("tt:IPFilter", true),
            el("tt:ZeroConfiguration", true),
            el("tt:IPVersion6", true),
            el("tt:DynDNS", true),
            el("tt:Extension", [
              el("tt:Dot11Configuration", false),
              el("tt:Extension", [el("tt:DHCPv6", true), el("tt:Dot1XConfigurations", 0)]),
            ]),
          ]),
          el("tt:System", [
            el("tt:DiscoveryResolve", false),
            el("tt:DiscoveryBye", true),
            el("tt:RemoteDiscovery", false),
            el("tt:SystemBackup", false),
            el("tt:SystemLogging", true),
            el("tt:FirmwareUpgrade", true),
            ...supportedVersions([
              [16, "12"],
              [2, "60"],
              [2, "40"],
              [2, "20"],
              [2, "10"],
              [2, "0"],
            ]),
            el("tt:Extension", [
              el("tt:HttpFirmwareUpgrade", true),
              el("tt:HttpSystemBackup", false),
              el("tt:HttpSystemLogging", false),
              el("tt:HttpSupportInformation", false),
            ]),
          ]),
          el("tt:IO", [
            el("tt:InputConnectors", 1),
            el("tt:RelayOutputs", 1),
            el("tt:Extension", [
              el("tt:Auxiliary", false),
              el("tt:AuxiliaryCommands", "nothing"),
              el("tt:Extension"),
            ]),
          ]),
          security(true, true),
        ]),
      ],
      ["Events", eventsCapabilities(`${camera.xaddrBase}${this.paths.events}`)],
      ["Imaging", el("tt:Imaging", [x("/onvif/Imaging")])],
      [
        "Media",
        el("tt:Media", [
          x(this.paths.media),
          streamingCapabilities(),
          el("tt:Extension", [el("tt:ProfileCapabilities", [el("tt:MaximumNumberOfProfiles", 2)])]),
        ]),
      ],
      [
        "Extension",
        el("tt:Extension", [
          el("hikxsd:hikCapabilities", [
            el("hikxsd:XAddr", `${camera.xaddrBase}/onvif/hik_ext`),
            el("hikxsd:IOInputSupport", true),
            el("hikxsd:PrivacyMaskSupport", true),
            el("hikxsd:PTZ3DZoomSupport", false),
            el("hikxsd:PTZPatternSupport", false),
            el("hikxsd:Language", 1),
          ]),
          el("tt:DeviceIO", [
            x("/onvif/DeviceIO"),
            el("tt:VideoSources", 1),
            el("tt:VideoOutputs", 0),
            el("tt:AudioSources", 0),
            el("tt:AudioOutputs", 0),
            el("tt:RelayOutputs", 1),
          ]),
        ]),
      ],
    ]);
  },
  services: (camera, includeCapability) => services(camera, includeCapability, [16, 12]),
  scopesResponse,
  profiles(camera, empty) {
    const { width, height } = camera.profiles[0].stream;
    return el(
      "trt:GetProfilesResponse",
      empty
        ? []
        : camera.profiles.map((profile) =>
            el(
              "trt:Profiles",
              [
                el("tt:Name", profile.name),
                el(
                  "tt:VideoSourceConfiguration",
                  [
                    el("tt:Name", "VideoSourceConfig"),
                    el("tt:UseCount", 2),
                    el("tt:SourceToken", "VideoSource_1"),
                    el("tt:Bounds", undefined, {
                      x: "0",
                      y: "0",
                      width: String(width),
                      height: String(height),
                    }),
                  ],
                  { token: "VideoSourceToken" },
                ),
                videoEncoderConfiguration(profile, camera.options.fps, {
                  token: `VideoEncoderToken_${profile.index}`,
                  name: `VideoEncoder_${profile.index}`,
                  quality: profile.index === 1 ? "5.000000" : "3.000000",
                  multicast: { address: "0.0.0.0", port: profile.index === 1 ? 8860 : 8866, ttl: 128 },
                  sessionTimeout: "PT5S",
                }),
                el(
                  "tt:MetadataConfiguration",
                  [
                    el("tt:Name", "metaData"),
                    el("tt:UseCount", 2),
                    el("tt:Analytics", false),
                    el("tt:Multicast", [
                      el("tt:Address", [el("tt:Type", "IPv4"), el("tt:IPv4Address", "0.0.0.0")]),
                      el("tt:Port", 8864),
                      el("tt:TTL", 128),
                      el("tt:AutoStart", false),
                    ]),
                    el("tt:SessionTimeout", "PT5S"),
                  ],
                  { token: "MetaDataToken" },
                ),
              ],
              { token: profile.token, fixed: "true" },
            ),
          ),
    );
  },
  mediaUri: (operation, uri) =>
    mediaUri(operation, uri, false, operation === "GetStreamUri" ? "PT60S" : "PT0S"),
};

// ---------------------------------------------------------------------------------------------------
// Dahua (and its OEMs): `s:` prefix, only the namespaces a reply uses, `standalone="yes"`, an empty
// Header, everything on one line, tokens MediaProfile00000/00001, bare `uuid:` endpoint, Media at
// /onvif/media_service.

const DAHUA_NAMESPACES: Record<string, string> = {
  sc: "http://www.w3.org/2003/05/soap-encoding",
  s: NS.soap,
  tt: NS.tt,
  tds: NS.tds,
  trt: NS.trt,
  tev: NS.tev,
  ter: NS.ter,
};

const DAHUA_DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes" ?>';

function usedPrefixes(node: XmlNode, into: Set<string>): Set<string> {
  const prefix = node.name.split(":", 1)[0];
  if (prefix !== undefined && prefix !== node.name) into.add(prefix);
  for (const c of node.children ?? []) usedPrefixes(c, into);
  return into;
}

const dahua: VendorStyle = {
  defaults: {
    name: "Dahua",
    hardware: "IPC-HFW2228M-I1-V2",
    location: "country/china",
    manufacturer: "Dahua",
    model: "IPC-HFW2228M-I1-V2",
    firmware: "2.800.0000000.16.R, Build Date 2020-08-20",
    serial: "6J0A1B2PAZ00000",
  },
  profileNames: [
    { token: "MediaProfile00000", name: "MediaProfile_Channel1_MainStream" },
    { token: "MediaProfile00001", name: "MediaProfile_Channel1_SubStream1" },
  ],
  endpointPrefix: "uuid:",
  paths: { device: "/onvif/device_service", media: "/onvif/media_service", events: "/onvif/event_service" },
  defaultStreamUri: (host, index) =>
    `rtsp://${host}:554/cam/realmonitor?channel=1&subtype=${index - 1}&unicast=true&proto=Onvif`,
  scopes: (identity) => [
    onvifScope(`location/${scopePath(identity.location)}`),
    onvifScope(`name/${scopePath(identity.name)}`),
    onvifScope(`hardware/${scopePath(identity.hardware)}`),
    onvifScope("Profile/Streaming"),
    onvifScope("type/Network_Video_Transmitter"),
    onvifScope("type/video_encoder"),
    onvifScope("extension/unique_identifier"),
  ],
  envelope(body) {
    const used = usedPrefixes(body, new Set(["sc", "s"]));
    const attrs: Record<string, string> = {};
    for (const [prefix, uri] of Object.entries(DAHUA_NAMESPACES))
      if (used.has(prefix)) attrs[`xmlns:${prefix}`] = uri;
    return (
      DAHUA_DECLARATION +
      serialize(el("s:Envelope", [el("s:Header"), el("s:Body", [body])], attrs), "compact")
    );
  },
  fault(kind) {
    const fault = faultNode("s", kind, "Sender not Authorized");
    return { status: fault.status, body: this.envelope(fault.node) };
  },
  probeMatches: (camera, relatesTo, messageId, _seq, scopes = camera.scopes) =>
    DAHUA_DECLARATION +
    serialize(
      el(
        "s:Envelope",
        [
          el("s:Header", [
            el("a:MessageID", messageId),
            el("a:To", "urn:schemas-xmlsoap-org:ws:2005:04:discovery"),
            el("a:Action", PROBE_MATCHES_ACTION),
            el("a:RelatesTo", relatesTo),
          ]),
          el("s:Body", [
            el("d:ProbeMatches", [
              el("d:ProbeMatch", [
                el("a:EndpointReference", [el("a:Address", camera.endpoint)]),
                el("d:Types", "dn:NetworkVideoTransmitter tds:Device"),
                el("d:Scopes", scopes.join(" ")),
                el("d:XAddrs", `${camera.xaddrBase}${camera.style.paths.device}`),
                el("d:MetadataVersion", 1),
              ]),
            ]),
          ]),
        ],
        {
          "xmlns:sc": DAHUA_NAMESPACES.sc ?? "",
          "xmlns:s": NS.soap,
          "xmlns:dn": NS.dn,
          "xmlns:tds": NS.tds,
          "xmlns:d": NS.wsd,
          "xmlns:a": NS.wsa,
        },
      ),
      "compact",
    ),
  systemDateAndTime: (now) => systemDateAndTime("NTP", `GMT+0${LOCAL_OFFSET_HOURS}:00`, now),
  deviceInformation: (camera) => deviceInformation(camera.identity, "1.00"),
  capabilities(camera, categories) {
    const x = (path: string): XmlNode => el("tt:XAddr", `${camera.xaddrBase}${path}`);
    return capabilitiesResponse(categories, [
      [
        "Analytics",
        el("tt:Analytics", [
          x("/onvif/analytics_service"),
          el("tt:RuleSupport", true),
          el("tt:AnalyticsModuleSupport", true),
        ]),
      ],
      [
        "Device",
        el("tt:Device", [
          x(this.paths.device),
          el("tt:Network", [
            el("tt:IPFilter", false),
            el("tt:ZeroConfiguration", false),
            el("tt:IPVersion6", false),
            el("tt:DynDNS", false),
            el("tt:Extension", [el("tt:Dot11Configuration", false)]),
          ]),
          el("tt:System", [
            el("tt:DiscoveryResolve", false),
            el("tt:DiscoveryBye", true),
            el("tt:RemoteDiscovery", false),
            el("tt:SystemBackup", false),
            el("tt:SystemLogging", true),
            el("tt:FirmwareUpgrade", true),
            ...supportedVersions([
              [2, "00"],
              [2, "10"],
              [2, "20"],
              [2, "30"],
              [2, "40"],
              [2, "42"],
              [16, "12"],
              [18, "06"],
              [18, "12"],
              [19, "06"],
              [19, "12"],
              [20, "06"],
            ]),
            el("tt:Extension", [
              el("tt:HttpFirmwareUpgrade", true),
              el("tt:HttpSystemBackup", false),
              el("tt:HttpSystemLogging", false),
              el("tt:HttpSupportInformation", false),
            ]),
          ]),
          el("tt:IO", [
            el("tt:InputConnectors", 2),
            el("tt:RelayOutputs", 1),
            el("tt:Extension", [el("tt:Auxiliary", false), el("tt:AuxiliaryCommands"), el("tt:Extension")]),
          ]),
          security(false, false),
        ]),
      ],
      ["Events", eventsCapabilities(`${camera.xaddrBase}${this.paths.events}`)],
      ["Imaging", el("tt:Imaging", [x("/onvif/imaging_service")])],
      [
        "Media",
        el("tt:Media", [
          x(this.paths.media),
          streamingCapabilities(),
          el("tt:Extension", [el("tt:ProfileCapabilities", [el("tt:MaximumNumberOfProfiles", 6)])]),
        ]),
      ],
      [
        "Extension",
        el("tt:Extension", [
          el("tt:DeviceIO", [
            x("/onvif/deviceIO_service"),
            el("tt:VideoSources", 1),
            el("tt:VideoOutputs", 0),
            el("tt:AudioSources", 0),
            el("tt:AudioOutputs", 0),
            el("tt:RelayOutputs", 1),
          ]),
        ]),
      ],
    ]);
  },
  services: (camera, includeCapability) => services(camera, includeCapability, [2, 60]),
  scopesResponse,
  profiles(camera, empty) {
    const { width, height } = camera.profiles[0].stream;
    const stream = (profile: ProfileModel): string => (profile.index === 1 ? "MainStream" : "SubStream1");
    return el(
      "trt:GetProfilesResponse",
      empty
        ? []
        : camera.profiles.map((profile) =>
            el(
              "trt:Profiles",
              [
                el("tt:Name", profile.name),
                el(
                  "tt:VideoSourceConfiguration",
                  [
                    el("tt:Name", "VideoSourceConfig_Channel1"),
                    el("tt:UseCount", 2),
                    el("tt:SourceToken", "00000"),
                    el("tt:Bounds", undefined, {
                      height: String(height),
                      width: String(width),
                      x: "0",
                      y: "0",
                    }),
                    el("tt:Extension", [el("tt:Rotate", [el("tt:Mode", "OFF")])]),
                  ],
                  { token: "00000" },
                ),
                videoEncoderConfiguration(profile, camera.options.fps, {
                  token: `0000${profile.index - 1}`,
                  name: `VideoEncoderConfig_Channel1_${stream(profile)}`,
                  quality: "4.000000",
                  multicast: {
                    address: `224.1.0.${profile.index - 1}`,
                    port: profile.index === 1 ? 40000 : 40008,
                    ttl: 64,
                  },
                  sessionTimeout: "PT60S",
                }),
                el(
                  "tt:MetadataConfiguration",
                  [
                    el("tt:Name", "MetadataConfig_Channel1"),
                    el("tt:UseCount", 2),
                    el("tt:PTZStatus", [el("tt:Status", false), el("tt:Position", false)]),
                    el("tt:Events", [
                      el("tt:Filter", [
                        el("wsnt:TopicExpression", "tns1:RuleEngine/CellMotionDetector/Motion", {
                          "xmlns:tns1": "http://www.onvif.org/ver10/topics",
                          "xmlns:wsnt": "http://docs.oasis-open.org/wsn/b-2",
                          Dialect: "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet",
                        }),
                      ]),
                    ]),
                    el("tt:Analytics", true),
                    el("tt:Multicast", [
                      el("tt:Address", [el("tt:Type", "IPv4"), el("tt:IPv4Address", "224.2.0.0")]),
                      el("tt:Port", 40020),
                      el("tt:TTL", 64),
                      el("tt:AutoStart", false),
                    ]),
                    el("tt:SessionTimeout", "PT60S"),
                  ],
                  { CompressionType: "", token: "00000" },
                ),
              ],
              { fixed: "true", token: profile.token },
            ),
          ),
    );
  },
  // Dahua marks stream URIs single-use and timeless (InvalidAfterConnect true, Timeout PT0S).
  mediaUri: (operation, uri) => mediaUri(operation, uri, operation === "GetStreamUri", "PT0S"),
};

export const VENDOR_STYLES: Readonly<Record<"hikvision" | "dahua", VendorStyle>> = { hikvision, dahua };
