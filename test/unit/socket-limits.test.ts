import { describe, expect, it } from "vitest";
import { SocketLimits } from "../../gateway/src/access/socket-limits.js";
import { isTextKey } from "../../viewer/src/i18n.js";
import { refusalAction } from "../../viewer/src/stream-url.js";

// Issue 9 item 5: one stream token opened any number of WebSockets. Sockets are now counted per viewing session
// (viewer session and camera) and per client address.

describe("SocketLimits", () => {
  it("refuses the third socket of a session, and gives the place back once released", () => {
    const l = new SocketLimits({ perSession: 2, perAddress: 10 });
    const a = l.take("dv_1|cam", "10.0.0.1");
    const b = l.take("dv_1|cam", "10.0.0.1");
    expect(typeof a).toBe("function");
    expect(typeof b).toBe("function");
    expect(l.take("dv_1|cam", "10.0.0.2")).toBe("socket_limit");
    // Another camera of the same phone is another viewing session.
    expect(typeof l.take("dv_1|cam2", "10.0.0.1")).toBe("function");
    if (typeof a === "function") a();
    expect(l.sessionSockets("dv_1|cam")).toBe(1);
    expect(typeof l.take("dv_1|cam", "10.0.0.1")).toBe("function");
  });

  it("refuses past the per-address cap, whatever the session; other addresses are not affected", () => {
    const l = new SocketLimits({ perSession: 2, perAddress: 3 });
    for (const sid of ["a", "b", "c"]) expect(typeof l.take(sid, "100.64.0.1")).toBe("function");
    expect(l.take("d", "100.64.0.1")).toBe("address_limit");
    expect(typeof l.take("d", "100.64.0.2")).toBe("function");
    // A refused socket takes no place.
    expect(l.addressSockets("100.64.0.1")).toBe(3);
    expect(l.sessionSockets("d")).toBe(1);
  });

  it("a release given twice frees one place only", () => {
    const l = new SocketLimits({ perSession: 1, perAddress: 1 });
    const a = l.take("s", undefined);
    if (typeof a !== "function") throw new Error(a);
    const b = l.take("t", undefined);
    expect(b).toBe("address_limit");
    a();
    a();
    expect(l.addressSockets(undefined)).toBe(0);
    expect(typeof l.take("s", undefined)).toBe("function");
    expect(l.take("t", undefined)).toBe("address_limit");
  });
});

describe("the page on a refused socket", () => {
  it.each(["socket_limit", "address_limit"])("%s: says why and waits, no reconnect loop", (code) => {
    expect(isTextKey(code)).toBe(true);
    expect(refusalAction(code)).toBe("wait");
  });
});
