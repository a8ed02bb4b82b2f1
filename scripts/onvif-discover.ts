/**
 * Finds ONVIF cameras from this machine, or inspects one: the gateway's own discovery and inspection code,
 * for a technician at a school and for tests that run it inside a network namespace.
 *
 *   node --import tsx scripts/onvif-discover.ts [--interface eth0] [--cidr 192.168.1.0/24] [--hosts a,b]
 *        [--no-multicast] [--timeout-ms 3000] [--expect N] [--port 3702] [--json]
 * Defaults (timeouts, caps, port, interface) are the gateway's own settings: config/pantau.yml, PANTAU_ONVIF_*.
 *   node --import tsx scripts/onvif-discover.ts --inspect http://192.168.1.64/onvif/device_service
 *        --username admin --password … [--json]
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../gateway/src/config/load-config.js";
import { createLogger } from "../gateway/src/log/logger.js";
import { AllowedNetworks } from "../gateway/src/net/allowed-networks.js";
import { AddressNotAllowedError, NetworkGuard } from "../gateway/src/net/network-guard.js";
import { OnvifError } from "../gateway/src/onvif/onvif-error.js";
import { OnvifInspector } from "../gateway/src/onvif/onvif-inspector.js";
import { ScanTargetError, scanHosts } from "../gateway/src/net/scan-targets.js";
import { SoapClient } from "../gateway/src/onvif/soap-client.js";
import { interfaceAddress, WsDiscovery } from "../gateway/src/onvif/ws-discovery.js";

const { values: a } = parseArgs({
  options: {
    interface: { type: "string" },
    cidr: { type: "string" },
    hosts: { type: "string" },
    "no-multicast": { type: "boolean", default: false },
    "timeout-ms": { type: "string" },
    expect: { type: "string" },
    port: { type: "string" },
    inspect: { type: "string" },
    username: { type: "string", default: "" },
    password: { type: "string", default: "" },
    json: { type: "boolean", default: false },
  },
});

// The gateway's own settings (config/pantau.yml, PANTAU_ONVIF_*): the same caps and timeouts as its API,
// and the same networks it may reach (network.allowedNetworks).
const config = loadConfig();
const settings = config.onvif;
const network = new NetworkGuard(AllowedNetworks.parse(config.network.allowedNetworks));
const log = createLogger("warn");
const discovery = new WsDiscovery(log, settings.maxDatagramBytes);
const port = a.port === undefined ? settings.discoveryPort : Number(a.port);
const out = (v: unknown, text: () => string) => console.log(a.json ? JSON.stringify(v) : text());

try {
  if (a.inspect !== undefined) {
    const soap = new SoapClient({
      timeoutMs: settings.soapTimeoutSeconds * 1000,
      maxReplyBytes: settings.maxReplyBytes,
      network,
    });
    const inspector = new OnvifInspector(soap, discovery, { discoveryPort: port });
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
    const wanted = a.interface ?? settings.interface;
    const iface = wanted === undefined ? undefined : interfaceAddress(wanted);
    if (wanted !== undefined && iface === undefined) throw new Error(`no IPv4 interface "${wanted}"`);
    const r = await discovery.probe({
      multicast: !a["no-multicast"],
      interfaceAddress: iface,
      hosts: scanHosts({ cidr: a.cidr, hosts: a.hosts?.split(",") }, network.checker()),
      port,
      timeoutMs: a["timeout-ms"] === undefined ? settings.scanSeconds * 1000 : Number(a["timeout-ms"]),
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
  const code =
    e instanceof OnvifError || e instanceof AddressNotAllowedError
      ? e.code
      : e instanceof ScanTargetError && e.refused
        ? e.refused.code
        : "error";
  const message = code === "error" ? (e as Error).message : `${code}: ${(e as Error).message}`;
  if (a.json) console.log(JSON.stringify({ error: { code, message } }));
  else console.error(message);
  process.exitCode = 1;
}
