import { explanations } from "../cameras/stream-test-result.js";
import { AddressNotAllowedError, UnknownHostError } from "../net/network-guard.js";
import { HttpError } from "../common/errors.js";

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
