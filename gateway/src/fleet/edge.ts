/** A school's edge gateway as the hub records it (the registry of record is the hub's). */
export interface Edge {
  id: string;
  name: string;
  schoolId: string;
  /** The public half of its NATS nkey (`U…`); the seed went to the operator once and is kept nowhere here. */
  publicKey: string;
  version: string | null;
  lastContactAt: string | null;
  createdAt: string;
}

/** What an operator is told once, when the edge is made: the seed the edge connects with. */
export interface EdgeCredentials {
  edgeId: string;
  /** The nkey seed (`SU…`): put it in the edge's `fleet.seedFile`; it is not shown again. */
  seed: string;
  /** What the edge puts in `fleet.servers` (the hub's `fleet.edgeServers`); absent when that is unset. */
  servers?: string[];
}
