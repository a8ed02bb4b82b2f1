import type { RenditionName } from "../cameras/camera.js";

/**
 * The link's NATS subjects. Each edge has its own subtree, and the NATS server's permissions
 * (nats-authorization.ts) let an edge publish only its status and media and hear only its own commands:
 * - `pantau.edge.<edgeId>.status`: the edge's heartbeat (every 2 s);
 * - `pantau.edge.<edgeId>.ctl.<verb>`: the hub's requests (request/reply);
 * - `pantau.edge.<edgeId>.media.<cameraId>.<rendition>`: init segments and fragments, while the hub watches.
 * Ids are tokens of letters, digits, `_` and `-` (common/ids.ts), never `.`, `*` or `>`.
 */
const token = /^[A-Za-z0-9_-]{1,64}$/;

function checked(id: string): string {
  if (!token.test(id)) throw new Error(`not a subject token: ${JSON.stringify(id)}`);
  return id;
}

export const subjects = {
  status: (edgeId: string) => `pantau.edge.${checked(edgeId)}.status`,
  allStatus: "pantau.edge.*.status",
  ctl: (edgeId: string, verb: ControlVerb) => `pantau.edge.${checked(edgeId)}.ctl.${verb}`,
  allCtl: (edgeId: string) => `pantau.edge.${checked(edgeId)}.ctl.>`,
  media: (edgeId: string, cameraId: string, rendition: RenditionName) =>
    `pantau.edge.${checked(edgeId)}.media.${checked(cameraId)}.${rendition}`,
};

export const controlVerbs = ["relay.start", "relay.keepalive", "relay.stop", "api"] as const;
export type ControlVerb = (typeof controlVerbs)[number];

/** The edge id of a status subject; undefined for anything else. */
export function edgeOfStatus(subject: string): string | undefined {
  const m = /^pantau\.edge\.([A-Za-z0-9_-]{1,64})\.status$/.exec(subject);
  return m?.[1];
}

/** The verb of a control subject of this edge; undefined for anything else. */
export function verbOf(subject: string, edgeId: string): ControlVerb | undefined {
  const prefix = `pantau.edge.${edgeId}.ctl.`;
  if (!subject.startsWith(prefix)) return undefined;
  const verb = subject.slice(prefix.length);
  return (controlVerbs as readonly string[]).includes(verb) ? (verb as ControlVerb) : undefined;
}
