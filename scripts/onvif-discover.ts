/**
 * Finds ONVIF cameras from this machine, or inspects one: the gateway's own discovery and inspection code,
 * for a technician at a school and for tests that run it inside a network namespace.
 *
 *   node --import tsx scripts/onvif-discover.ts [--interface eth0] [--cidr 192.168.1.0/24] [--hosts a,b]
 *        [--no-multicast] [--timeout-ms 3000] [--expect N] [--port 3702] [--json]
 *   node --import tsx scripts/onvif-discover.ts --inspect http://192.168.1.64/onvif/device_service
 *        --username admin --password … [--json]
 */
import { parseArgs } from "node:util";
import { createLogger } from "../gateway/src/log/logger.js";
import { OnvifError } from "../gateway/src/onvif/onvif-error.js";
import { OnvifInspector } from "../gateway/src/onvif/onvif-inspector.js";
import { scanHosts } from "../gateway/src/onvif/scan-targets.js";
import { SoapClient } from "../gateway/src/onvif/soap-client.js";
import { interfaceAddress, WsDiscovery } from "../gateway/src/onvif/ws-discovery.js";

const { values: a } = parseArgs({
  options: {
    interface: { type: "string" },
    cidr: { type: "string" },
    hosts: { type: "string" },
    "no-multicast": { type: "boolean", default: false },
    "timeout-ms": { type: "string", default: "3000" },
    expect: { type: "string" },
    port: { type: "string", default: "3702" },
    inspect: { type: "string" },
    username: { type: "string", default: "" },
    password: { type: "string", default: "" },
    json: { type: "boolean", default: false },
  },
});

const log = createLogger("warn");
const discovery = new WsDiscovery(log, 16 * 1024);
const port = Number(a.port);
const out = (v: unknown, text: () => string) => console.log(a.json ? JSON.stringify(v) : text());

try {
  if (a.inspect !== undefined) {
    const inspector = new OnvifInspector(
      new SoapClient({ timeoutMs: 5000, maxReplyBytes: 512 * 1024 }),
      discovery,
      {
        discoveryPort: port,
        uuidProbeMs: 1500,
      },
    );
    const r = await inspector.inspect(a.inspect, { username: a.username, password: a.password });
    out(r, () =>
      [
        `${r.device.manufacturer} ${r.device.model} (firmware ${r.device.firmwareVersion}) ${r.uuid ?? "no UUID"}`,
        `clock skew: ${r.clock.skewSeconds ?? "unknown"} s`,
        ...r.profiles.map(
          (p) =>
            `${p.token === r.suggested.main ? "main" : p.token === r.suggested.sub ? "sub " : "    "} ${p.token} ${p.encoding ?? "?"} ${p.width ?? "?"}x${p.height ?? "?"} ${p.streamUri ?? p.problem ?? ""}`,
        ),
        ...r.warnings.map((w) => `warning: ${w.messages.en}`),
        `inspected in ${r.durationMs} ms`,
      ].join("\n"),
    );
  } else {
    const iface = a.interface === undefined ? undefined : interfaceAddress(a.interface);
    if (a.interface !== undefined && iface === undefined)
      throw new Error(`no IPv4 interface "${a.interface}"`);
    const r = await discovery.probe({
      multicast: !a["no-multicast"],
      interfaceAddress: iface,
      hosts: scanHosts({ cidr: a.cidr, hosts: a.hosts?.split(",") }),
      port,
      timeoutMs: Number(a["timeout-ms"]),
      expect: a.expect === undefined ? undefined : Number(a.expect),
    });
    out(r, () =>
      [
        ...r.devices.map(
          (d) =>
            `${d.address}\t${d.uuid}\t${d.scopes.name ?? ""}\t${d.scopes.hardware ?? ""}\t${d.answeredAfterMs} ms`,
        ),
        `${r.devices.length} device(s) in ${r.durationMs} ms`,
      ].join("\n"),
    );
  }
} catch (e) {
  const message = e instanceof OnvifError ? `${e.code}: ${e.message}` : (e as Error).message;
  if (a.json)
    console.log(JSON.stringify({ error: { code: e instanceof OnvifError ? e.code : "error", message } }));
  else console.error(message);
  process.exitCode = 1;
}
