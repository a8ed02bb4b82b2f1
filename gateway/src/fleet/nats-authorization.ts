// The NATS server's side of the edge↔hub link (issue 13): which nkey may connect and which subjects it may use.
// The hub renders this fragment and nats-server enforces it, so an edge cannot publish another school's camera
// or read another edge's commands even if its code were replaced. Subjects: design.md, "The fleet design".
import { fromPublic } from "@nats-io/nkeys";

/** An edge id as the hub makes them (`edg_<base64url>`): never `.`, `*`, `>`, quotes or white space. */
export const edgeIdPattern = /^edg_[A-Za-z0-9_-]{1,60}$/;
/** An nkey user public key: `U` and 55 more base32 characters (RFC 4648 alphabet, no padding). */
export const userPublicKeyPattern = /^U[A-Z2-7]{55}$/;

export interface NatsAuthorizationInput {
  hub: { publicKey: string };
  edges: readonly { id: string; publicKey: string }[];
}

/** Input that would not make a safe authorization file; nothing is written. */
export class NatsAuthorizationInputError extends Error {
  readonly code = "nats_authorization_input";
}

/** The subjects one edge may use: only its own. */
export function edgePermissions(edgeId: string): { publish: string[]; subscribe: string[] } {
  checkEdgeId(edgeId);
  const root = `pantau.edge.${edgeId}`;
  return { publish: [`${root}.status`, `${root}.media.>`], subscribe: [`${root}.ctl.>`] };
}

/** The hub's subjects: commands to every edge, every edge's status and media, and its requests' replies. */
export const hubPermissions = {
  publish: ["pantau.edge.*.ctl.>"],
  subscribe: ["pantau.edge.*.status", "pantau.edge.*.media.>", "_INBOX.>"],
} as const;

/**
 * The nats-server `authorization { users: [...] }` block for the hub and `edges`, for the file the shipped
 * config (config/nats/pantau-hub.conf) includes. Edges are sorted by id, so the same fleet always gives the
 * same text and an unchanged fleet never reloads the server. Every id and key is checked against a strict
 * pattern first (throws NatsAuthorizationInputError): the text is server configuration, and a value that
 * could close a quote or a brace would let input rewrite it. The hub is always in the list, so the list is
 * never empty (an empty `users` list would let anyone connect).
 */
export function renderAuthorization(input: NatsAuthorizationInput): string {
  checkPublicKey(input.hub.publicKey, "hub");
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>([input.hub.publicKey]);
  for (const edge of input.edges) {
    checkEdgeId(edge.id);
    checkPublicKey(edge.publicKey, edge.id);
    if (seenIds.has(edge.id)) throw new NatsAuthorizationInputError(`edge ${edge.id} is listed twice`);
    if (seenKeys.has(edge.publicKey)) {
      throw new NatsAuthorizationInputError(`edge ${edge.id}'s public key is already another user's`);
    }
    seenIds.add(edge.id);
    seenKeys.add(edge.publicKey);
  }
  const edges = [...input.edges].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const lines = [
    "# Written by the Pantau hub (gateway/src/fleet/nats-authorization.ts) whenever an operator creates or",
    "# removes an edge; do not edit, the next change overwrites it. Included by config/nats/pantau-hub.conf.",
    "authorization {",
    "  users: [",
    ...user("hub", input.hub.publicKey, hubPermissions, false),
    ...edges.flatMap((edge) => user(`edge ${edge.id}`, edge.publicKey, edgePermissions(edge.id), true)),
    "  ]",
    "}",
  ];
  return lines.join("\n") + "\n";
}

function user(
  label: string,
  publicKey: string,
  permissions: { publish: readonly string[]; subscribe: readonly string[] },
  allowResponses: boolean,
): string[] {
  const list = (subjects: readonly string[]) => subjects.map((s) => `"${s}"`).join(", ");
  return [
    `    # ${label}`,
    "    {",
    `      nkey: "${publicKey}"`,
    "      permissions: {",
    `        publish: { allow: [${list(permissions.publish)}] }`,
    `        subscribe: { allow: [${list(permissions.subscribe)}] }`,
    // Replies to the hub's requests (once each, to the reply subject of a request it received), nothing else.
    ...(allowResponses ? ["        allow_responses: true"] : []),
    "      }",
    "    }",
  ];
}

function checkEdgeId(id: string): void {
  if (!edgeIdPattern.test(id)) {
    throw new NatsAuthorizationInputError(`not an edge id: ${JSON.stringify(id.slice(0, 80))}`);
  }
}

function checkPublicKey(key: string, whose: string): void {
  const bad = () =>
    new NatsAuthorizationInputError(
      `${whose}: not an nkey user public key (U and 55 base32 characters): ${JSON.stringify(key.slice(0, 80))}`,
    );
  if (!userPublicKeyPattern.test(key)) throw bad();
  // The pattern keeps config syntax out; the checksum catches a mistyped key, which nats-server would refuse
  // at reload (keeping the old file's users, so a new edge could not connect and nobody would know why).
  try {
    fromPublic(key);
  } catch {
    throw bad();
  }
}
