import { describe, expect, it } from "vitest";
import { parseConfig } from "../../gateway/src/config/load-config.js";
import {
  AllowedNetworks,
  defaultAllowedNetworks,
  localAddresses,
  NetworkListError,
  parseNetwork,
  refusalOf,
  type Refusal,
} from "../../gateway/src/net/allowed-networks.js";
import {
  AddressNotAllowedError,
  NetworkGuard,
  UnknownHostError,
  type Lookup,
} from "../../gateway/src/net/network-guard.js";

// Regression: the gateway connected wherever an admin pointed it (loopback, 169.254.169.254, the
// internet); this is the pure check every camera connection now passes first.

/** A gateway with one LAN interface in a /24, as at a school. */
const local = {
  own: ["127.0.0.1", "::1", "10.213.57.1", "fe80::a00:27ff:fe4e:66a1"],
  broadcast: ["127.255.255.255", "10.213.57.255"],
};
const production = AllowedNetworks.parse(defaultAllowedNetworks);
const loopbackForTests = AllowedNetworks.parse(["127.0.0.0/8", "::1/128"]);
const everywhere = AllowedNetworks.parse(["0.0.0.0/0", "::/0"]);

describe("refusalOf with the production defaults (private ranges, ULA)", () => {
  it.each<[string, Refusal | undefined]>([
    ["10.0.0.5", undefined],
    ["172.16.0.1", undefined],
    ["172.31.255.254", undefined],
    ["172.32.0.1", "not_allowed"],
    ["192.168.1.64", undefined],
    ["fd12:3456::64", undefined],
    ["::ffff:10.0.0.5", undefined],
    ["8.8.8.8", "not_allowed"],
    ["2001:4860:4860::8888", "not_allowed"],
    // Carrier-grade NAT is the ISP's or the cloud's network, not a school LAN.
    ["100.64.0.1", "not_allowed"],
    ["127.0.0.1", "loopback"],
    ["127.5.6.7", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["169.254.169.254", "metadata"],
    ["::ffff:169.254.169.254", "metadata"],
    ["169.254.1.1", "link_local"],
    ["fe80::1", "link_local"],
    ["fe80::1%eth0", "link_local"],
    // Inside fc00::/7, which the defaults allow: AWS's and Google's IPv6 metadata services.
    ["fd00:ec2::254", "metadata"],
    ["fd20:ce::254", "metadata"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["10.213.57.255", "broadcast"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["10.213.57.1", "own_address"],
    // Not literals the kernel and every URL parser agree on: names, resolved (and then checked) first.
    ["2130706433", "not_an_address"],
    ["0x7f.1", "not_an_address"],
    ["127.1", "not_an_address"],
    ["camera.local", "not_an_address"],
    ["", "not_an_address"],
  ])("%s → %s", (address, expected) => {
    expect(refusalOf(address, production, local)).toBe(expected);
  });
});

describe("refusalOf with loopback named (the tests' setting)", () => {
  it.each<[string, Refusal | undefined]>([
    // The test cameras listen on the gateway's own loopback addresses.
    ["127.0.0.1", undefined],
    ["127.4.5.6", undefined],
    ["::1", undefined],
    ["[::1]", undefined],
    ["::ffff:127.0.0.1", undefined],
    ["169.254.169.254", "metadata"],
    ["0.0.0.0", "unspecified"],
    ["127.255.255.255", "broadcast"],
    ["10.0.0.5", "not_allowed"],
    ["10.213.57.1", "own_address"],
  ])("%s → %s", (address, expected) => {
    expect(refusalOf(address, loopbackForTests, local)).toBe(expected);
  });
});

describe("refusalOf with 0.0.0.0/0 and ::/0 (a school that opens everything)", () => {
  it.each<[string, Refusal | undefined]>([
    ["8.8.8.8", undefined],
    ["100.64.0.1", undefined],
    // A broad range never names loopback, metadata, link-local or the gateway itself.
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["169.254.169.254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["168.63.129.16", "metadata"],
    ["fe80::1", "link_local"],
    ["10.213.57.1", "own_address"],
    ["fe80::a00:27ff:fe4e:66a1", "link_local"],
  ])("%s → %s", (address, expected) => {
    expect(refusalOf(address, everywhere, local)).toBe(expected);
  });
});

describe("parseNetwork (one entry of network.allowedNetworks)", () => {
  it("takes CIDR ranges and single addresses", () => {
    expect(parseNetwork("10.20.0.0/16")[1]).toBe(16);
    expect(parseNetwork(" 203.0.113.7 ")[1]).toBe(32);
    expect(parseNetwork("fd12:3456::/64")[1]).toBe(64);
    expect(parseNetwork("::1")[1]).toBe(128);
    expect(parseNetwork("0.0.0.0/0")[1]).toBe(0);
  });
  it.each([
    ["10.0.0.0/33", /at most 32/],
    ["fd00::/129", /at most 128/],
    ["10.0.0.0/-1", /not a network/],
    ["10.0.0.0/", /not a network/],
    ["10.1/8", /not a network/],
    ["camera.local", /not a network/],
    ["10.0.0.0/8/8", /not a network/],
    ["169.254.0.0/16", /link-local space, which Pantau never connects to/],
    ["169.254.169.254", /link-local space/],
    ["fe80::/10", /link-local space/],
    ["224.0.0.0/4", /multicast space/],
    ["::/128", /unspecified space/],
    ["::ffff:10.0.0.0/104", /write IPv4 networks as IPv4/],
  ])("refuses %s", (entry, message) => {
    expect(() => parseNetwork(entry)).toThrow(NetworkListError);
    expect(() => parseNetwork(entry)).toThrow(message);
  });
});

describe("network.allowedNetworks", () => {
  it("defaults to the private ranges and ULA, without loopback or CGNAT", () => {
    expect(parseConfig({}).network.allowedNetworks).toEqual([
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.0.0/16",
      "fc00::/7",
    ]);
  });
  it("takes a list from PANTAU_NETWORK_ALLOWED_NETWORKS", () => {
    const c = parseConfig({}, { PANTAU_NETWORK_ALLOWED_NETWORKS: "10.20.0.0/16, 203.0.113.0/28 fd12::/64" });
    expect(c.network.allowedNetworks).toEqual(["10.20.0.0/16", "203.0.113.0/28", "fd12::/64"]);
  });
  it("stops the start on a bad entry, naming the setting and its variable", () => {
    expect(() => parseConfig({}, { PANTAU_NETWORK_ALLOWED_NETWORKS: "10.0.0.0/8,10.0.0.0/40" })).toThrow(
      /network\.allowedNetworks\.1 \(PANTAU_NETWORK_ALLOWED_NETWORKS\): "10\.0\.0\.0\/40": a prefix length is at most 32/,
    );
    expect(() => parseConfig({ network: { allowedNetworks: ["169.254.0.0/16"] } })).toThrow(
      /network\.allowedNetworks\.0 .*link-local/,
    );
  });
  it("keeps the re-probe ranges inside it", () => {
    expect(() =>
      parseConfig({
        onvif: { reprobeRanges: ["10.0.12.0/24"] },
        network: { allowedNetworks: ["192.168.0.0/16"] },
      }),
    ).toThrow(
      /onvif\.reprobeRanges\.0 \(PANTAU_ONVIF_REPROBE_RANGES\): 10\.0\.12\.0\/24 reaches 10\.0\.12\.1/,
    );
    expect(() => parseConfig({ onvif: { reprobeRanges: ["127.0.0.5/32"] } })).toThrow(/outside network/);
    expect(
      parseConfig({
        onvif: { reprobeRanges: ["127.0.0.5/32"] },
        network: { allowedNetworks: ["127.0.0.0/8"] },
      }).onvif.reprobeRanges,
    ).toEqual(["127.0.0.5/32"]);
  });
});

describe("localAddresses", () => {
  it("lists every interface address and the broadcast address of each IPv4 subnet", () => {
    const iface = (address: string, family: "IPv4" | "IPv6", cidr: string) => ({
      address,
      family,
      cidr,
      netmask: "",
      mac: "00:00:00:00:00:00",
      internal: false,
      ...(family === "IPv6" && { scopeid: 0 }),
    });
    expect(
      localAddresses({
        lo: [iface("127.0.0.1", "IPv4", "127.0.0.1/8"), iface("::1", "IPv6", "::1/128")],
        eth0: [iface("10.213.57.1", "IPv4", "10.213.57.1/24"), iface("100.70.1.2", "IPv4", "100.70.1.2/32")],
      } as unknown as Parameters<typeof localAddresses>[0]),
    ).toEqual({
      own: ["127.0.0.1", "::1", "10.213.57.1", "100.70.1.2"],
      broadcast: ["127.255.255.255", "10.213.57.255"],
    });
  });
});

describe("NetworkGuard: resolve, check, pin", () => {
  const names: Record<string, string[]> = {
    "kamera.sekolah.sch.id": ["10.0.0.64"],
    localhost: ["127.0.0.1", "::1"],
    // One good address and one bad: refused whole (the connection could take either).
    "rebind.example": ["10.0.0.64", "169.254.169.254"],
    "v6.example": ["fd12::64"],
    "empty.example": [],
  };
  const asked: string[] = [];
  const lookup: Lookup = (host) => {
    asked.push(host);
    const found = names[host];
    if (found === undefined) return Promise.reject(Object.assign(new Error("nope"), { code: "ENOTFOUND" }));
    return Promise.resolve(found.map((address) => ({ address })));
  };
  const guard = new NetworkGuard(production, { lookup, interfaces: () => ({}) });

  it("gives the checked address to connect to; literals are not looked up", async () => {
    expect(await guard.resolve("kamera.sekolah.sch.id")).toBe("10.0.0.64");
    asked.length = 0;
    expect(await guard.resolve("192.168.1.64")).toBe("192.168.1.64");
    expect(await guard.resolve("[fd12::64]")).toBe("fd12::64");
    expect(asked).toEqual([]);
  });

  it("refuses a name if any of its addresses is refused, and says which and why", async () => {
    const e = await guard.resolve("rebind.example").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AddressNotAllowedError);
    expect(e).toMatchObject({ code: "address_not_allowed", address: "169.254.169.254", reason: "metadata" });
    const l = (await guard.resolve("localhost").catch((x: unknown) => x)) as AddressNotAllowedError;
    expect(l.reason).toBe("loopback");
    expect(l.messages.en).toMatch(
      /localhost \(127\.0\.0\.1\).*network\.allowedNetworks \(PANTAU_NETWORK_ALLOWED_NETWORKS\)/,
    );
    expect(l.messages.id).toMatch(/network\.allowedNetworks/);
    const p = (await guard.resolve("8.8.8.8").catch((x: unknown) => x)) as AddressNotAllowedError;
    expect(p.messages.en).toMatch(/outside the networks cameras may be on.*an operator adds it/);
  });

  it("names an unknown host apart", async () => {
    await expect(guard.resolve("nowhere.example")).rejects.toBeInstanceOf(UnknownHostError);
    await expect(guard.resolve("empty.example")).rejects.toBeInstanceOf(UnknownHostError);
  });

  it("pins a URL: the host becomes the checked address, user info, port, path and query stay", async () => {
    expect(
      await guard.pinUrl("rtsp://admin:x%40y@kamera.sekolah.sch.id:8554/Streaming/101?transportmode=unicast"),
    ).toBe("rtsp://admin:x%40y@10.0.0.64:8554/Streaming/101?transportmode=unicast");
    expect(await guard.pinUrl("rtsp://v6.example/main")).toBe("rtsp://[fd12::64]/main");
    expect(await guard.pinUrl("http://kamera.sekolah.sch.id/onvif/device_service")).toBe(
      "http://10.0.0.64/onvif/device_service",
    );
  });

  it("refuses URL tricks: user info that looks like a host, numeric and mapped forms", async () => {
    const real = new NetworkGuard(production, { interfaces: () => ({}) });
    for (const url of [
      "rtsp://10.0.0.1@127.0.0.1/",
      "rtsp://2130706433/",
      "rtsp://0x7f.1/",
      "rtsp://[::ffff:127.0.0.1]/",
      "rtsp://[::1]:554/",
      "http://0x7f.1/onvif/device_service",
    ]) {
      const e = await real.pinUrl(url).catch((x: unknown) => x);
      expect(e, url).toBeInstanceOf(AddressNotAllowedError);
      expect((e as AddressNotAllowedError).reason, url).toBe("loopback");
    }
  });

  it("checks scan targets against the interfaces of the moment", () => {
    const check = new NetworkGuard(production, {
      interfaces: () => ({
        eth0: [
          {
            address: "10.0.0.2",
            family: "IPv4",
            cidr: "10.0.0.2/24",
            netmask: "255.255.255.0",
            mac: "00:00:00:00:00:00",
            internal: false,
          },
        ],
      }),
    }).checker();
    expect(check("10.0.0.3")).toBeUndefined();
    expect(check("10.0.0.2")).toBe("own_address");
    expect(check("10.0.0.255")).toBe("broadcast");
  });
});
