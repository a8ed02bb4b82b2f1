import { explanations } from "./stream-test-result.js";
import { HttpError, explainedError } from "../common/errors.js";
import { AddressNotAllowedError, UnknownHostError } from "../net/network-guard.js";
import { OnvifError, type OnvifErrorCode } from "../onvif/onvif-error.js";
import { ProfileChoiceError } from "../onvif/onvif-onboarding.js";

/**
 * The answer for a camera address the gateway will not connect to, naming the request field: 422
 * `address_not_allowed` (nothing was contacted, nothing stored), or 422 `unknown_host` for a name that
 * resolves to nothing. Anything else is passed through.
 */
export function addressHttpError(e: unknown, field: string): unknown {
  if (e instanceof AddressNotAllowedError) {
    return new HttpError(422, e.code, e.messages.en, field, {
      messages: e.messages,
      reason: e.reason,
      detail: e.detail,
    });
  }
  if (e instanceof UnknownHostError) {
    return new HttpError(422, "unknown_host", explanations.unknownHost.en, field, {
      messages: explanations.unknownHost,
      detail: e.message,
    });
  }
  return e;
}

const statusOf: Record<OnvifErrorCode, number> = {
  onvif_auth_failed: 422,
  onvif_not_onvif: 422,
  onvif_not_supported: 422,
  onvif_no_profiles: 422,
  onvif_clock_far_off: 422,
  // The camera, not the request, is at fault: the gateway could not get a usable answer upstream.
  onvif_unreachable: 502,
  onvif_bad_reply: 502,
  stream_unreachable: 502,
  onvif_timeout: 504,
};

/**
 * The HTTP answer for a failed exchange with a camera: its code, ID/EN texts and a technical detail; a
 * host outside the allowed networks names `hostField`.
 */
export function onvifHttpError(e: unknown, hostField = "host"): unknown {
  if (e instanceof OnvifError)
    return explainedError(statusOf[e.code], e.code, e.messages, { detail: e.detail });
  if (e instanceof ProfileChoiceError) return new HttpError(400, "invalid_input", e.message, e.field);
  return addressHttpError(e, hostField);
}
