import { readFileSync } from "node:fs";
import type { Camera } from "../cameras/camera.js";
import { ConfigError } from "../config/load-config.js";
import type { CameraProber } from "../health/health-monitor.js";
import type { School } from "../schools/school.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { EdgeDirectory } from "./edge-directory.js";
import type { HubLink } from "./hub-link.js";
import { nkeyPairFromSeed, type NkeyPair } from "./nats-nkeys.js";

/** The seed in fleet.seedFile, checked: a bad file stops the start with the setting's name. */
export function readSeed(file: string): NkeyPair {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new ConfigError(`fleet.seedFile: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return nkeyPairFromSeed(text);
  } catch {
    throw new ConfigError(`fleet.seedFile: ${file} holds no nkey seed (SU…, as the hub's console showed it)`);
  }
}

/**
 * An edge keeps one school record of its own, where the cameras it registers for the hub go (the hub holds
 * the real school, its classrooms and everyone's access).
 */
export function ensureEdgeSchool(schools: SchoolRepository): School {
  return (
    schools.list()[0] ??
    schools.create({ name: "Sekolah (edge)", address: "", area: "", contact: "", timeZone: "Asia/Jakarta" })
  );
}

/** Where the gateway's own API answers on this machine. */
export function loopbackUrl(host: string, port: number, tls: boolean): string {
  const h =
    host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  return `${tls ? "https" : "http"}://${h}:${String(port)}`;
}

/** At a hub, an edge's camera is asked of its edge (hub-link.ts); every other camera of the network. */
export function fleetAwareProber(network: CameraProber, hub: HubLink | undefined): CameraProber {
  if (!hub) return network;
  return {
    probe: (camera, deadlineMs) => {
      const { source } = camera;
      if (source.kind !== "edge") return network.probe(camera, deadlineMs);
      return Promise.resolve(hub.probe({ ...camera, source }) ?? { ok: false, ms: 0, error: "edge_offline" });
    },
  };
}

/** Why an edge's camera cannot be seen from the hub now; undefined for any other camera. */
export function unobservableAtHub(
  camera: Camera,
  directory: EdgeDirectory,
  hub: HubLink,
): string | undefined {
  const { source } = camera;
  if (source.kind !== "edge") return undefined;
  if (!directory.online(source.edgeId)) return "edge_offline";
  return hub.probe({ ...camera, source }) === undefined ? "unknown_at_edge" : undefined;
}
