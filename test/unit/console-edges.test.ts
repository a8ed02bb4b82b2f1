import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  agoWords,
  cameraTarget,
  edgeConfigLines,
  edgeServers,
  type EdgeJson,
} from "../../viewer/console/src/components/edge-types.js";
import { parseConfig } from "../../gateway/src/config/load-config.js";

const edge = (id: string, schoolId: string): EdgeJson => ({
  id,
  name: `${schoolId} edge`,
  schoolId,
  version: null,
  lastContactAt: null,
  createdAt: "2025-12-01T00:00:00.000Z",
  link: { online: false, lastContactAt: null, version: null, rttMs: null, cameras: 0, relay: null },
});

describe("the edges screen's words and lines", () => {
  it("gives the installer settings the gateway's own config schema takes for an edge", () => {
    const text = edgeConfigLines("edg_Ab-9_x", edgeServers(undefined, "pantau.example.sch.id"));
    expect(text).toBe(
      [
        "role: edge",
        "fleet:",
        "  servers:",
        "    - tls://pantau.example.sch.id:4222",
        "  edgeId: edg_Ab-9_x",
        "  seedFile: /etc/pantau/edge.nk",
      ].join("\n"),
    );
    const config = parseConfig(parse(text) as Record<string, unknown>);
    expect(config.role).toBe("edge");
    expect(config.fleet).toMatchObject({
      servers: ["tls://pantau.example.sch.id:4222"],
      edgeId: "edg_Ab-9_x",
      seedFile: "/etc/pantau/edge.nk",
    });
  });

  it("gives the hub's own fleet.edgeServers when the operator set them, every one", () => {
    const servers = ["tls://nats1.diskominfo.example:4222", "tls://nats2.diskominfo.example:4222"];
    const config = parseConfig(
      parse(edgeConfigLines("edg_x", edgeServers(servers, "ignored.example"))) as Record<string, unknown>,
    );
    expect(config.fleet.servers).toEqual(servers);
  });

  it("says how long ago in the console's language, by the largest whole unit", () => {
    const now = Date.parse("2025-12-01T10:00:00.000Z");
    const ago = (s: number) => new Date(now - s * 1000).toISOString();
    expect(agoWords(ago(12), now, "en")).toBe("12 seconds ago");
    expect(agoWords(ago(12), now, "id")).toBe("12 detik yang lalu");
    expect(agoWords(ago(125), now, "en")).toBe("2 minutes ago");
    expect(agoWords(ago(3 * 3600 + 5), now, "id")).toBe("3 jam yang lalu");
    expect(agoWords(ago(2 * 86_400), now, "en")).toBe("2 days ago");
    // A heartbeat stamped a moment after the browser's clock (clocks differ) is "now", never "in 1 second".
    expect(agoWords(new Date(now + 800).toISOString(), now, "en")).toBe("now");
    expect(agoWords(null, now, "en")).toBe("—");
  });

  it("sends the wizard to the school's edge at a hub, else to the gateway's own API", () => {
    const edges = [edge("edg_a", "sch_1"), edge("edg_b/x", "sch_2")];
    expect(cameraTarget("sch_1", edges)).toEqual({
      base: "/api/edges/edg_a",
      schoolId: "sch_1",
      edge: { id: "edg_a", name: "sch_1 edge" },
    });
    expect(cameraTarget("sch_2", edges).base).toBe("/api/edges/edg_b%2Fx");
    expect(cameraTarget("sch_3", edges)).toEqual({ base: "/api", schoolId: "sch_3", edge: undefined });
    expect(cameraTarget("sch_1", undefined)).toEqual({ base: "/api", schoolId: "sch_1", edge: undefined });
  });
});
