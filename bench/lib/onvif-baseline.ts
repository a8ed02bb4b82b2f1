// The baseline side of bench:discovery, run by bench/discovery.ts inside the gateway namespace: what an
// integrator builds on the `onvif` package. Prints one JSON line.
//   probe --device <ifname> --timeout-ms N   Discovery.probe by multicast (it cannot unicast); timed to each
//                                             'device' event and to the promise settling, which always waits
//                                             out the whole timeout.
//   inspect --xaddr URL --username U --password P
//                                             Cam.connect (clock, services, profiles, video sources), device
//                                             information, a stream URI per profile and a snapshot URI: what
//                                             Pantau's inspect returns too.
import type { GetStreamUriOptions } from "onvif";
import onvif from "onvif/promises/index.js";
import { parseArgs } from "node:util";

export interface BaselineProbe {
  found: number;
  /** probe() called → each 'device' event, ms. */
  foundAfterMs: number[];
  /** probe() called → its promise settled, ms. */
  totalMs: number;
  /** 'error' events (a bad datagram; without a listener the package would throw and end the process). */
  errors: string[];
}

export interface BaselineInspect {
  profiles: number;
  /** connect() had dropped the profiles, so they were asked for again. */
  refetched: boolean;
  streamUris: string[];
  snapshotUri: string | undefined;
  durationMs: number;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    device: { type: "string" },
    "timeout-ms": { type: "string", default: "3000" },
    xaddr: { type: "string" },
    username: { type: "string", default: "" },
    password: { type: "string", default: "" },
  },
});

async function probe(): Promise<BaselineProbe> {
  const { Discovery } = onvif;
  const errors: string[] = [];
  const foundAfterMs: number[] = [];
  const started = performance.now();
  Discovery.on("error", (err) => errors.push(err instanceof Error ? err.message : err));
  Discovery.on("device", () => foundAfterMs.push(performance.now() - started));
  let found: number;
  try {
    found = (await Discovery.probe({ device: values.device, timeout: Number(values["timeout-ms"]) })).length;
  } catch {
    // It rejects with every error at the end when any datagram was bad, dropping the cameras it did find;
    // the 'device' events still counted them.
    found = foundAfterMs.length;
  }
  return { found, foundAfterMs, totalMs: performance.now() - started, errors };
}

type Profile = { $?: { token?: string }; token?: string };

async function inspect(): Promise<BaselineInspect> {
  if (values.xaddr === undefined) throw new Error("inspect needs --xaddr");
  const url = new URL(values.xaddr);
  const started = performance.now();
  const cam = new onvif.Cam({
    hostname: url.hostname,
    port: Number(url.port || 80),
    path: url.pathname,
    username: values.username,
    password: values.password,
    timeout: 10_000,
  });
  await cam.connect();
  await cam.getDeviceInformation();
  // The promise wrapper proxies every property read to the callback Cam, where connect() left the profiles.
  let profiles = (cam as unknown as { profiles?: Profile[] }).profiles ?? [];
  // connect() empties the profiles when GetVideoSources fails (its Axis workaround); ask for them again.
  const refetched = profiles.length === 0;
  if (refetched) profiles = ((await cam.getProfiles()) as Profile[] | undefined) ?? [];
  // Both typed from their last overload (callback only); the wrapper passes the options through.
  const getStreamUri = cam.getStreamUri as (o: GetStreamUriOptions) => Promise<{ uri: string }>;
  const getSnapshotUri = cam.getSnapshotUri as (o: { profileToken?: string }) => Promise<{ uri: string }>;
  const streamUris: string[] = [];
  for (const p of profiles)
    streamUris.push((await getStreamUri({ protocol: "RTSP", profileToken: p.$?.token ?? p.token })).uri);
  const first = profiles[0];
  const snapshotUri = first
    ? (await getSnapshotUri({ profileToken: first.$?.token ?? first.token })).uri
    : undefined;
  return {
    profiles: profiles.length,
    refetched,
    streamUris,
    snapshotUri,
    durationMs: performance.now() - started,
  };
}

const mode = positionals[0];
const result = mode === "probe" ? await probe() : mode === "inspect" ? await inspect() : undefined;
if (result === undefined) throw new Error(`usage: onvif-baseline.ts probe|inspect …, got ${String(mode)}`);
process.stdout.write(JSON.stringify(result) + "\n");
