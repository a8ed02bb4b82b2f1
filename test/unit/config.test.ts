import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, envName, parseConfig, settingLeaves } from "../../gateway/src/config/load-config.js";

describe("config", () => {
  it("has the defaults of the start-up contract", () => {
    const c = parseConfig({});
    expect(c.http).toMatchObject({ host: "0.0.0.0", port: 8080 });
    expect(c.dataDir).toBe("./data");
    expect(c.role).toBe("standalone");
    expect(c.streaming.idleStopSeconds).toBe(30);
    expect(c.streaming.stallSeconds).toBe(5);
    expect(c.dev.openStreams).toBe(false);
    expect(c.cameras).toEqual({ testTimeoutSeconds: 5, maxConcurrentTests: 4 });
    expect(Object.isFrozen(c.http)).toBe(true);
  });

  it("keeps the environment names deployment scripts rely on", () => {
    const names = settingLeaves().map((l) => envName(l.path));
    for (const n of [
      "PANTAU_HTTP_PORT",
      "PANTAU_HTTP_HOST",
      "PANTAU_DATA_DIR",
      "PANTAU_ADMIN_USER",
      "PANTAU_ADMIN_PASSWORD",
      "PANTAU_SECRET_KEY",
      "PANTAU_DEMO",
      "PANTAU_ROLE",
      "PANTAU_LOG_LEVEL",
    ]) {
      expect(names).toContain(n);
    }
  });

  it("applies environment overrides with the right types", () => {
    const c = parseConfig(
      { http: { port: 9000 } },
      {
        PANTAU_HTTP_PORT: "8181",
        PANTAU_DEMO: "0",
        PANTAU_STREAMING_PART_TARGET_SECONDS: "0.25",
        PANTAU_ROLE: "edge",
        PANTAU_FLEET_SERVERS: "tls://hub.example:4222",
        PANTAU_FLEET_EDGE_ID: "edg_abc",
        PANTAU_FLEET_SEED_FILE: "/etc/pantau/edge.nk",
        PANTAU_GUARDIANS_REQUIRE_CONSENT: "0",
      },
    );
    expect(c.guardians.requireConsent).toBe(false);
    expect(parseConfig({}).guardians.requireConsent).toBe(true);
    expect(c.http.port).toBe(8181);
    expect(c.fleet.servers).toEqual(["tls://hub.example:4222"]);
    // An edge without them is refused with the settings named (issue 13).
    expect(() => parseConfig({}, { PANTAU_ROLE: "edge" })).toThrow(/fleet\.edgeId.*\n?.*|fleet\.servers/);
    expect(() => parseConfig({ role: "hub", fleet: { servers: ["nats://a:4222", "wss://a"] } })).toThrow(
      /every server over WebSocket/,
    );
    // What a hub hands out to edges follows the same rules, and is named when wrong.
    const hub = { role: "hub", fleet: { servers: ["nats://127.0.0.1:4222"] } };
    expect(
      parseConfig({ ...hub, fleet: { ...hub.fleet, edgeServers: ["wss://hub.example/nats"] } }).fleet
        .edgeServers,
    ).toEqual(["wss://hub.example/nats"]);
    expect(() =>
      parseConfig({
        ...hub,
        fleet: { ...hub.fleet, edgeServers: ["tls://hub.example:4222", "wss://hub.example/nats"] },
      }),
    ).toThrow(/fleet\.edgeServers.*every server over WebSocket/);
    expect(() => parseConfig({ ...hub, fleet: { ...hub.fleet, edgeServers: ["hub.example:4222"] } })).toThrow(
      /fleet\.edgeServers/,
    );
    expect(parseConfig(hub).fleet.edgeServers).toBeUndefined();
    expect(c.demo).toBe(false);
    expect(c.streaming.partTargetSeconds).toBe(0.25);
    expect(c.role).toBe("edge");
  });

  it("names the field and its variable when a value is wrong", () => {
    expect(() => parseConfig({}, { PANTAU_HTTP_PORT: "eighty" })).toThrow(
      /PANTAU_HTTP_PORT: expected a number/,
    );
    expect(() => parseConfig({ http: { port: 70000 } })).toThrow(/http\.port \(PANTAU_HTTP_PORT\)/);
    expect(() => parseConfig({ htpp: {} })).toThrow(ConfigError);
    expect(() => parseConfig({}, { PANTAU_DEMO: "maybe" })).toThrow(/PANTAU_DEMO/);
  });

  it("takes a list from one variable, comma or space separated, and checks every item", () => {
    const c = parseConfig({}, { PANTAU_ONVIF_REPROBE_RANGES: "10.0.1.0/24, 192.168.5.0/28 172.16.0.0/22" });
    expect(c.onvif.reprobeRanges).toEqual(["10.0.1.0/24", "192.168.5.0/28", "172.16.0.0/22"]);
    expect(() => parseConfig({}, { PANTAU_ONVIF_REPROBE_RANGES: "10.0.1.0/24,8.8.8.0/24" })).toThrow(
      /onvif\.reprobeRanges\.1 \(PANTAU_ONVIF_REPROBE_RANGES\): 8\.8\.8\.0\/24 reaches 8\.8\.8\.1, outside network\.allowedNetworks/,
    );
    expect(() => parseConfig({ onvif: { reprobeRanges: ["10.0.0.0/16"] } })).toThrow(/too large/);
  });

  it("accepts the shipped example config", () => {
    const example = parse(
      readFileSync(new URL("../../config/pantau.example.yml", import.meta.url), "utf8"),
    ) as unknown;
    const c = parseConfig(example);
    expect(c.http.port).toBe(8080);
    expect(c.cameras.testTimeoutSeconds).toBe(5);
  });
});
