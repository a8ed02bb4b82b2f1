import type { ProfileModel, VendorStyle } from "./camera-model.js";
import {
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
import { el, serialize, type XmlNode } from "./xml.js";

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

export const dahua: VendorStyle = {
  defaults: {
    name: "Dahua",
    hardware: "IPC-HFW2228M-I1-V2",
    location: "country/china",
    manufacturer: "Dahua",
    model: "IPC-HFW2228M-I1-V2",
    firmware: "2.800.0000000.16.R, Build Date 2020-08-20",
    serial: "6J0A1B2PAZ00000",
    hardwareId: "1.00",
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
  deviceInformation: (camera) => deviceInformation(camera.identity),
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
