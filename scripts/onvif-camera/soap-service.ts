import type { CameraModel, Reply } from "./camera-model.js";
import { NS } from "./style-parts.js";
import { checkUsernameToken } from "./wsse.js";
import { child, parseXml, XmlError, type XmlElement, type XmlNode } from "./xml.js";

// One SOAP request in, one reply out: the device and media services of ONVIF Profile S, answered the
// way the chosen vendor answers them. Pure apart from the camera clock, so it is easy to reason about;
// sockets and hostile behaviours live in http-service.ts.

export interface SoapOutcome extends Reply {
  /** `tds:GetDeviceInformation` etc., for the log; undefined when the request was not understood. */
  readonly operation: string | undefined;
  /** Why authentication failed, for the log (never sent to the client: cameras do not say). */
  readonly authFailure?: string;
  /** The request carried a WS-Security header (a UsernameToken digest, crackable offline). */
  readonly wsSecurity: boolean;
}

type Handler = (camera: CameraModel, request: XmlElement) => Reply;

const ok = (camera: CameraModel, body: XmlNode): Reply => ({
  status: 200,
  body: camera.style.envelope(body),
});

export interface SoapBehaviour {
  /** GetProfiles answers with no profiles (the `no-profiles` hostile mode). */
  readonly emptyProfiles: boolean;
  /** GetDeviceInformation without credentials (--open-device-info). */
  readonly openDeviceInfo: boolean;
}

function operations(behaviour: SoapBehaviour): ReadonlyMap<string, { auth: boolean; handle: Handler }> {
  const tds = (local: string): string => `${NS.tds} ${local}`;
  const trt = (local: string): string => `${NS.trt} ${local}`;
  const profileUri =
    (operation: "GetStreamUri" | "GetSnapshotUri"): Handler =>
    (camera, request) => {
      const token = child(request, NS.trt, "ProfileToken")?.text;
      const profile = camera.profiles.find((p) => p.token === token);
      if (profile === undefined || behaviour.emptyProfiles) return camera.style.fault("NoProfile");
      return ok(
        camera,
        camera.style.mediaUri(operation, operation === "GetStreamUri" ? profile.uri : camera.snapshotUri),
      );
    };
  return new Map([
    // Unauthenticated on every camera: clients read the camera clock to build a valid UsernameToken.
    [
      tds("GetSystemDateAndTime"),
      { auth: false, handle: (c) => ok(c, c.style.systemDateAndTime(c.nowMs())) },
    ],
    [
      tds("GetDeviceInformation"),
      { auth: !behaviour.openDeviceInfo, handle: (c) => ok(c, c.style.deviceInformation(c)) },
    ],
    [
      tds("GetCapabilities"),
      {
        auth: true,
        handle: (c, request) => {
          const categories = new Set(
            request.children.filter((e) => e.ns === NS.tds && e.local === "Category").map((e) => e.text),
          );
          const body = c.style.capabilities(c, categories);
          return body === undefined ? c.style.fault("NoSuchService") : ok(c, body);
        },
      },
    ],
    [
      tds("GetServices"),
      {
        auth: true,
        handle: (c, request) =>
          ok(c, c.style.services(c, child(request, NS.tds, "IncludeCapability")?.text === "true")),
      },
    ],
    [tds("GetScopes"), { auth: true, handle: (c) => ok(c, c.style.scopesResponse(c)) }],
    [trt("GetProfiles"), { auth: true, handle: (c) => ok(c, c.style.profiles(c, behaviour.emptyProfiles)) }],
    [trt("GetStreamUri"), { auth: true, handle: profileUri("GetStreamUri") }],
    [trt("GetSnapshotUri"), { auth: true, handle: profileUri("GetSnapshotUri") }],
  ]);
}

const PREFIX_FOR_LOG = new Map<string, string>([
  [NS.tds, "tds"],
  [NS.trt, "trt"],
]);

/** Answers one SOAP 1.2 request body. The operation is the namespace-qualified first child of Body. */
export function handleSoap(camera: CameraModel, body: string, behaviour: SoapBehaviour): SoapOutcome {
  // Any Security element, in any namespace or none: what a forger would read a digest from.
  return { ...answer(camera, body, behaviour), wsSecurity: /<([\w.-]+:)?Security[\s/>]/.test(body) };
}

function answer(
  camera: CameraModel,
  body: string,
  behaviour: SoapBehaviour,
): Omit<SoapOutcome, "wsSecurity"> {
  let envelope: XmlElement;
  try {
    envelope = parseXml(body);
  } catch (err) {
    if (!(err instanceof XmlError)) throw err;
    return { ...camera.style.fault("WellFormed"), operation: undefined };
  }
  if (envelope.local !== "Envelope" || (envelope.ns !== NS.soap && envelope.ns !== NS.soap11)) {
    return { ...camera.style.fault("WellFormed"), operation: undefined };
  }
  // ONVIF is SOAP 1.2 only; a SOAP 1.1 envelope gets the VersionMismatch fault SOAP 1.2 §5.4.7 asks for.
  if (envelope.ns === NS.soap11) return { ...camera.style.fault("VersionMismatch"), operation: undefined };

  const request = child(envelope, NS.soap, "Body")?.children[0];
  if (request === undefined) return { ...camera.style.fault("WellFormed"), operation: undefined };
  const operation = `${PREFIX_FOR_LOG.get(request.ns) ?? `{${request.ns}}`}:${request.local}`;
  const known = operations(behaviour).get(`${request.ns} ${request.local}`);
  if (known === undefined) return { ...camera.style.fault("ActionNotSupported"), operation };

  if (known.auth) {
    const auth = checkUsernameToken(child(envelope, NS.soap, "Header"), camera.options, camera.nowMs());
    if (!auth.ok) return { ...camera.style.fault("NotAuthorized"), operation, authFailure: auth.why };
  }
  return { ...known.handle(camera, request), operation };
}
