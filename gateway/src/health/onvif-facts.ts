import { performance } from "node:perf_hooks";
import { AddressNotAllowedError } from "../net/network-guard.js";
import { OnvifError, type OnvifErrorCode } from "../onvif/onvif-error.js";
import { readCameraClock, readDeviceInformation } from "../onvif/onvif-inspector.js";
import type { DeviceInformation } from "../onvif/onvif-replies.js";
import type { SoapAuth, SoapClient } from "../onvif/soap-client.js";
import type { Credentials } from "../onvif/ws-security.js";

export type OnvifFactsErrorCode =
  "unreachable" | "timeout" | "auth_failed" | "bad_reply" | "not_onvif" | "unsupported" | "not_allowed";

/** What an ONVIF camera says about itself on a health probe; absent fields it did not say. */
export interface OnvifFacts {
  /** GetDeviceInformation answered (the clock may still be unknown: some cameras refuse it). */
  ok: boolean;
  ms: number;
  /** Camera UTC minus our clock at the middle of GetSystemDateAndTime, in ms (±1 s: whole seconds). */
  clockSkewMs?: number;
  serial?: string;
  firmware?: string;
  model?: string;
  manufacturer?: string;
  /** `message` is technical, for logs and the console; it never holds a password. */
  error?: { code: OnvifFactsErrorCode; message: string };
}

export interface OnvifFactsOptions {
  /** Wall clock, which the camera's is compared with; Date.now by default. */
  now?: () => number;
  /** Aborting ends the probe at once; it then rejects with the signal's reason (the gateway is closing). */
  signal?: AbortSignal;
}

const codes: Record<OnvifErrorCode, OnvifFactsErrorCode> = {
  onvif_unreachable: "unreachable",
  onvif_timeout: "timeout",
  onvif_not_onvif: "not_onvif",
  onvif_bad_reply: "bad_reply",
  onvif_auth_failed: "auth_failed",
  onvif_not_supported: "unsupported",
  onvif_no_profiles: "bad_reply",
  onvif_clock_far_off: "bad_reply",
  stream_unreachable: "unreachable",
};

/**
 * The camera's clock skew (GetSystemDateAndTime, without credentials) and identity (GetDeviceInformation,
 * with them, its WS-Security time corrected by that skew), within one deadline over both calls: the
 * pending request is cut off when it passes. Never rejects for what the camera does; only when `signal`
 * aborts.
 */
export async function onvifFacts(
  soap: SoapClient,
  deviceServiceUrl: string,
  creds: Credentials | undefined,
  deadlineMs: number,
  opts: OnvifFactsOptions = {},
): Promise<OnvifFacts> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const now = opts.now ?? Date.now;
  opts.signal?.throwIfAborted();
  const control = new AbortController();
  const timer = setTimeout(() => {
    control.abort(new OnvifError("onvif_timeout", `no complete answer within ${String(deadlineMs)} ms`));
  }, deadlineMs);
  const onAbort = () => control.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const facts: OnvifFacts = { ok: false, ms: 0 };
  // The deadline also bounds what the calls cannot cut off themselves (a resolver that hangs).
  const cutOff = new Promise<never>((_, reject) => {
    control.signal.addEventListener("abort", () => reject(control.signal.reason as Error), { once: true });
  });
  cutOff.catch(() => undefined);
  try {
    await Promise.race([collect(soap, deviceServiceUrl, creds, now, control.signal, facts), cutOff]);
    facts.ok = true;
  } catch (e) {
    if (opts.signal?.aborted === true) throw opts.signal.reason;
    if (e instanceof OnvifError) facts.error = { code: codes[e.code], message: e.detail };
    else if (e instanceof AddressNotAllowedError) facts.error = { code: "not_allowed", message: e.message };
    else throw e;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    // Whatever is still pending is cut off now, not at the SoapClient's own timeout.
    control.abort(new OnvifError("onvif_timeout", "the probe ended"));
  }
  facts.ms = ms();
  return facts;
}

/** Both calls, filling `facts` as answers come (a late answer after the deadline changes nothing seen). */
async function collect(
  soap: SoapClient,
  deviceServiceUrl: string,
  creds: Credentials | undefined,
  now: () => number,
  signal: AbortSignal,
  facts: OnvifFacts,
): Promise<void> {
  const call = { signal };
  // Read as a call, not a property: it changes across the awaits.
  const ended = () => signal.aborted;
  let skewMs: number | undefined;
  try {
    skewMs = (await readCameraClock(soap, deviceServiceUrl, now, call))?.skewMs;
  } catch (e) {
    // A camera that wants credentials even for its clock still says who it is.
    if (!(e instanceof OnvifError && (e.code === "onvif_auth_failed" || e.code === "onvif_not_supported")))
      throw e;
  }
  if (ended()) return;
  if (skewMs !== undefined) facts.clockSkewMs = Math.round(skewMs);
  const auth: SoapAuth | undefined = creds && { ...creds, skewMs: skewMs ?? 0 };
  let device: DeviceInformation;
  try {
    device = await readDeviceInformation(soap, deviceServiceUrl, auth, call);
  } catch (e) {
    if (e instanceof OnvifError && e.code === "onvif_auth_failed" && skewMs === undefined) {
      // A digest in our time is refused by a camera far off as if the password were wrong.
      throw new OnvifError(e.code, `${e.detail}; the camera's clock could not be read`);
    }
    throw e;
  }
  if (ended()) return;
  const put = (key: "serial" | "firmware" | "model" | "manufacturer", value: string) => {
    if (value.trim() !== "") facts[key] = value.trim();
  };
  put("serial", device.serialNumber);
  put("firmware", device.firmwareVersion);
  put("model", device.model);
  put("manufacturer", device.manufacturer);
}
