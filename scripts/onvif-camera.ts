/**
 * Pantau ONVIF camera simulator: a Profile S camera's WS-Discovery responder and SOAP device/media
 * services, with WS-UsernameToken digest checks against a skewable camera clock, replies in the XML
 * style of real Hikvision or Dahua firmware, and hostile modes for the gateway's robustness tests.
 * The RTSP streams it points at come from elsewhere (scripts/test-camera.py, via --main-uri/--sub-uri).
 *
 * Run: node --import tsx scripts/onvif-camera.ts [--host 127.0.0.1] [--http-port 0] [--discovery-port 3702]
 *   [--multicast] [--uuid U] [--username admin] [--password admin123] [--skew-seconds N]
 *   [--main-uri URI] [--sub-uri URI] [--snapshot-uri URI] [--snapshot-auth digest|basic|none]
 *   [--main-size 1920x1080] [--sub-size 640x360]
 *   [--main-encoding H264|H265] [--sub-encoding H264|H265] [--fps 25] [--name N] [--hardware H]
 *   [--location L] [--manufacturer M] [--model M] [--firmware F] [--serial S] [--style hikvision|dahua]
 *   [--xaddr-host HOST] [--max-delay-ms 500] [--misbehave MODE] [--unicast-delay-ms 0]
 *   [--hardware-id H] [--open-device-info]
 *   [--record FILE] [--rtsp-trap-port PORT]
 *
 * --open-device-info answers GetDeviceInformation without credentials (most firmware wants them);
 * --snapshot-auth guards the snapshot JPEG (GET /onvif/snapshot.jpg) with HTTP Digest (default) or Basic;
 * --record appends one JSON line per SOAP, snapshot or RTSP request received (with whether it carried
 * credentials);
 * --rtsp-trap-port listens for RTSP on --host as a forger would, answering 401 to fish for the password.
 *
 * stdout: one JSON line when ready:
 *   {"ready":true,"uuid":"urn:uuid:…","xaddr":"http://host:port/onvif/device_service","httpPort":N,"discoveryPort":N}
 * stdin:  "quit" exits; so does stdin closing, so it never outlives the process that started it.
 * Exit status: 0 on quit/SIGTERM, 2 for a bad option, 3 when a port cannot be bound.
 */
import { createInterface } from "node:readline";
import { describeCamera } from "./onvif-camera/describe-camera.js";
import { DiscoveryResponder } from "./onvif-camera/discovery.js";
import { HttpService } from "./onvif-camera/http-service.js";
import { OptionError, parseOptions, type CameraOptions } from "./onvif-camera/options.js";
import { Recorder } from "./onvif-camera/recorder.js";
import { RtspTrap } from "./onvif-camera/rtsp-trap.js";

const EXIT_BAD_OPTION = 2;
const EXIT_LISTEN_FAILED = 3;

function log(message: string): void {
  // When the parent dies its end of stderr goes with it; a failed write must not stop the shutdown.
  try {
    process.stderr.write(`[onvif-camera] ${message}\n`);
  } catch {
    // nowhere left to report it
  }
}

function parseOrExit(): CameraOptions {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof OptionError) && !(err instanceof TypeError)) throw err;
    log(err.message);
    process.exit(EXIT_BAD_OPTION);
  }
}

async function main(): Promise<void> {
  const options = parseOrExit();
  const recorder = new Recorder(options.record);
  const http = new HttpService(options.misbehave, log, recorder);
  const closers: (() => void)[] = [() => http.close()];
  let stopping = false;

  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    for (const close of closers.reverse()) close();
    process.exit(0);
  };
  // Before anything is bound, so a parent that stops the camera right after the ready line never meets
  // the default signal action.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.stdin.on("end", () => stop("stdin closed"));
  process.stdin.on("error", () => stop("stdin closed"));
  createInterface({ input: process.stdin }).on("line", (line) => {
    const command = line.trim();
    if (command === "quit") stop("quit");
    else if (command !== "") log(`unknown command: ${JSON.stringify(command)}`);
  });

  let httpPort: number;
  try {
    httpPort = await http.listen(options.httpPort, options.host);
  } catch (err) {
    log(`cannot listen on http://${options.host}:${options.httpPort}: ${(err as Error).message}`);
    process.exit(EXIT_LISTEN_FAILED);
  }
  const camera = describeCamera(options, httpPort);
  const discovery = new DiscoveryResponder(
    camera,
    {
      host: options.host,
      port: options.discoveryPort,
      multicast: options.multicast,
      maxDelayMs: options.maxDelayMs,
      unicastDelayMs: options.unicastDelayMs,
      misbehave:
        options.misbehave === "discovery-garbage" || options.misbehave === "discovery-oversized"
          ? options.misbehave
          : undefined,
    },
    log,
  );
  try {
    await discovery.start();
    closers.push(() => discovery.close());
  } catch (err) {
    log(`cannot bind WS-Discovery on ${options.host}:${options.discoveryPort}: ${(err as Error).message}`);
    process.exit(EXIT_LISTEN_FAILED);
  }
  if (options.rtspTrapPort !== undefined) {
    const trap = new RtspTrap(recorder, log);
    try {
      await trap.listen(options.rtspTrapPort, options.host);
      closers.push(() => trap.close());
    } catch (err) {
      log(`cannot listen on rtsp://${options.host}:${options.rtspTrapPort}: ${(err as Error).message}`);
      process.exit(EXIT_LISTEN_FAILED);
    }
  }
  http.serve(camera);

  const ready = {
    ready: true,
    uuid: `urn:uuid:${options.uuid}`,
    xaddr: `http://${options.host}:${httpPort}/onvif/device_service`,
    httpPort,
    discoveryPort: options.discoveryPort,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  log(
    `${options.style} camera ${camera.identity.model} on ${options.host}` +
      (options.multicast ? " (multicast)" : "") +
      (options.misbehave ? `, misbehaving: ${options.misbehave}` : ""),
  );
}

await main();
