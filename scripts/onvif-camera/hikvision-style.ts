import type { VendorStyle } from "./camera-model.js";
import {
  ANONYMOUS,
  capabilitiesResponse,
  deviceInformation,
  eventsCapabilities,
  faultNode,
  LOCAL_OFFSET_HOURS,
  mediaUri,
  NS,
  onvifScope,
  PROBE_MATCHES_ACTION,
  scopePath,
  scopesResponse,
  security,
  services,
  streamingCapabilities,
  supportedVersions,
  systemDateAndTime,
  videoEncoderConfiguration,
} from "./style-parts.js";
import { el, serialize, type XmlLayout, type XmlNode } from "./xml.js";

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

export const hikvision: VendorStyle = {
  defaults: {
    name: "HIKVISION DS-2CD2043G2-I",
    hardware: "DS-2CD2043G2-I",
    location: "city/hangzhou",
    manufacturer: "HIKVISION",
    model: "DS-2CD2043G2-I",
    firmware: "V5.7.3 build 220112",
    serial: "DS-2CD2043G2-I20220101AAWRJ00000001",
    hardwareId: "88",
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
  deviceInformation: (camera) => deviceInformation(camera.identity),
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
