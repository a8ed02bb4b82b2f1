import type { OnvifBinding, VideoCodec } from "../cameras/camera.js";
import type { OnvifSourceInput, StoredSource } from "../cameras/camera.schema.js";
import {
  deviceUrlOf,
  type InspectedProfile,
  type Inspection,
  type OnvifInspector,
} from "./onvif-inspector.js";
import { identityOf } from "./move-decision.js";

/** A profile choice the camera cannot honour; `field` is the request field to point at. */
export class ProfileChoiceError extends Error {
  constructor(
    readonly field: "source.profile" | "source.subProfile",
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedOnvifSource {
  /** What ffmpeg pulls: the chosen profiles' RTSP URIs, credentials beside them. */
  source: Extract<StoredSource, { kind: "rtsp" }>;
  onvif: OnvifBinding;
  /** H.265 when the camera said so, so the first start already transcodes; otherwise learnt at first start. */
  videoCodec: VideoCodec | undefined;
  inspection: Inspection;
}

const tokensOf = (profiles: readonly InspectedProfile[]) => profiles.map((p) => p.token).join(", ");

/**
 * Turns `{kind:"onvif", host, …}` into the streams to pull: inspects the camera with the credentials given,
 * takes the profiles asked for (or the suggested ones) and keeps the endpoint and UUID for re-probing.
 */
export async function resolveOnvifSource(
  inspector: OnvifInspector,
  input: OnvifSourceInput,
): Promise<ResolvedOnvifSource> {
  const inspection = await inspector.inspect(deviceUrlOf(input.host, input.port, input.path), {
    username: input.username ?? "",
    password: input.password ?? "",
  });
  const usable = (token: string | null | undefined, field: ProfileChoiceError["field"]) => {
    if (token === null || token === undefined) return undefined;
    const p = inspection.profiles.find((q) => q.token === token);
    if (!p)
      throw new ProfileChoiceError(
        field,
        `no profile "${token}" on this camera; it has ${tokensOf(inspection.profiles)}`,
      );
    if (p.streamUri === null || p.codec === "unsupported") {
      throw new ProfileChoiceError(
        field,
        `profile "${token}" cannot be streamed: ${p.problem ?? "no stream URI"}`,
      );
    }
    return { ...p, streamUri: p.streamUri };
  };
  const main = usable(input.profile ?? inspection.suggested.main, "source.profile");
  if (!main) {
    throw new ProfileChoiceError(
      "source.profile",
      `no profile of this camera can be streamed (${tokensOf(inspection.profiles)})`,
    );
  }
  const sub = usable(
    input.subProfile === undefined ? inspection.suggested.sub : input.subProfile,
    "source.subProfile",
  );
  if (sub?.token === main.token)
    throw new ProfileChoiceError("source.subProfile", "the sub profile must differ from the main one");
  return {
    source: {
      kind: "rtsp",
      url: main.streamUri,
      subUrl: sub?.streamUri ?? undefined,
      username: input.username,
      password: input.password,
    },
    onvif: {
      deviceServiceUrl: inspection.deviceServiceUrl,
      deviceUuid: inspection.uuid,
      profile: main.token,
      subProfile: sub?.token ?? null,
      identity: identityOf(inspection.device),
    },
    videoCodec: main.codec === "h265" ? "h265" : undefined,
    inspection,
  };
}
