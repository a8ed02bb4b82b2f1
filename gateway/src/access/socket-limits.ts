/** Which cap refused a WebSocket: the viewing session's (one phone, one camera) or the client address's. */
export type SocketRefusal = "socket_limit" | "address_limit";

/**
 * Open media WebSockets, counted per viewing session (viewer session and camera) and per client address:
 * one stream token must not open sockets without bound, nor one machine with many tokens. The address cap is
 * generous because many parents may share one carrier (CGNAT) address.
 */
export class SocketLimits {
  private readonly bySession = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly o: { perSession: number; perAddress: number }) {}

  /** Takes a place for one socket; returns the function that gives it back (once), or the cap that is full. */
  take(session: string, address: string | undefined): (() => void) | SocketRefusal {
    const addr = address ?? "";
    const s = this.bySession.get(session) ?? 0;
    if (s >= this.o.perSession) return "socket_limit";
    const a = this.byAddress.get(addr) ?? 0;
    if (a >= this.o.perAddress) return "address_limit";
    this.bySession.set(session, s + 1);
    this.byAddress.set(addr, a + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      release(this.bySession, session);
      release(this.byAddress, addr);
    };
  }

  /** Sockets open for a viewing session now. */
  sessionSockets(session: string): number {
    return this.bySession.get(session) ?? 0;
  }

  /** Sockets open from a client address now. */
  addressSockets(address: string | undefined): number {
    return this.byAddress.get(address ?? "") ?? 0;
  }
}

function release(counts: Map<string, number>, k: string): void {
  const n = (counts.get(k) ?? 0) - 1;
  if (n > 0) counts.set(k, n);
  else counts.delete(k);
}
