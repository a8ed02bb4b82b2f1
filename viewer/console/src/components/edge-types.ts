/**
 * A school's edge gateway as the hub's API shows it (GET /api/edges), and the pure words and lines the edges
 * screen builds from it: how long ago, and the settings an installer puts on the edge.
 */
import type { Lang } from "../i18n.js";

export interface EdgeLinkJson {
  online: boolean;
  lastContactAt: string | null;
  version: string | null;
  rttMs: number | null;
  cameras: number;
  relay: { droppedFragments: number; sentBytes: number; activeRenditions: number } | null;
}

export interface EdgeJson {
  id: string;
  name: string;
  schoolId: string;
  version: string | null;
  lastContactAt: string | null;
  createdAt: string;
  link: EdgeLinkJson;
}

/** One of an edge's cameras as its heartbeat says it (GET /api/edges/:id/cameras); atHub: the hub has it. */
export interface EdgeCameraJson {
  id: string;
  name: string;
  state: "online" | "degraded" | "offline" | "paused" | "disabled" | "unknown";
  reason: string;
  sub: boolean;
  fps?: number;
  atHub: boolean;
}

/** POST /api/edges: the edge and, this once, its NATS seed. */
export interface CreatedEdge {
  edge: EdgeJson;
  /** `servers`: the hub's fleet.edgeServers, when the operator set them. */
  credentials: { edgeId: string; seed: string; servers?: string[] };
}

/** Where the seed goes on the edge (README, "Run as a systemd service": /etc/pantau belongs to the service). */
export const seedPath = "/etc/pantau/edge.nk";

/**
 * Where an edge dials: the hub's fleet.edgeServers when set, else TLS on port 4222 of the hub's own domain
 * (config/nats/pantau-hub.conf), the domain this console is served from.
 */
export function edgeServers(given: readonly string[] | undefined, hubHost: string): readonly string[] {
  return given ?? [`tls://${hubHost}:4222`];
}

/** The settings an installer adds to the edge's config/pantau.yml. */
export function edgeConfigLines(edgeId: string, servers: readonly string[]): string {
  return [
    "role: edge",
    "fleet:",
    "  servers:",
    ...servers.map((s) => `    - ${s}`),
    `  edgeId: ${edgeId}`,
    `  seedFile: ${seedPath}`,
  ].join("\n");
}

/** The shell lines that make the seed's file readable by the gateway's user only, then open it to paste into. */
export function seedFileCommands(): string {
  return [`sudo install -m 0600 -o pantau -g pantau /dev/null ${seedPath}`, `sudoedit ${seedPath}`].join(
    "\n",
  );
}

const units: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
];

/** "12 detik yang lalu" / "12 seconds ago": how long before `now` the instant `iso` was; "—" when never. */
export function agoWords(iso: string | null, now: number, lang: Lang): string {
  if (iso === null) return "—";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "—";
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  const f = new Intl.RelativeTimeFormat(lang === "id" ? "id" : "en", { numeric: "auto" });
  for (const [unit, size] of units) {
    if (seconds >= size) return f.format(-Math.floor(seconds / size), unit);
  }
  return f.format(-seconds, "second");
}

/**
 * Where the add-camera wizard's calls go: this gateway's own API, or at a hub the API of the school's edge,
 * which runs the scan, inspect and test at the school and keeps the camera's source and password. The paths
 * under `base` are the same either way: `/discovery/scan`, `/onvif/inspect`, `/cameras/test`, `/cameras`.
 */
export interface CameraTarget {
  /** `/api`, or `/api/edges/<id>` (gateway/src/http/edges.routes.ts). */
  base: string;
  schoolId: string;
  edge: { id: string; name: string } | undefined;
}

/** The wizard's target for a school, given the hub's edges (undefined: not a hub, the gateway's own API). */
export function cameraTarget(schoolId: string, edges: readonly EdgeJson[] | undefined): CameraTarget {
  const edge = edges?.find((e) => e.schoolId === schoolId);
  return edge === undefined
    ? { base: "/api", schoolId, edge: undefined }
    : { base: `/api/edges/${encodeURIComponent(edge.id)}`, schoolId, edge: { id: edge.id, name: edge.name } };
}
