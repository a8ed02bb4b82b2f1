/**
 * A scan range typed as two addresses ("from 192.168.1.20 to 192.168.1.60"), which the scan API takes as a
 * list of hosts: the console expands it, the gateway checks every address again.
 */
/** Largest range the gateway scans (a /22, `hosts` at most 1024). */
const maxScanHosts = 1024;

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

const dotted = (n: number) => [24, 16, 8, 0].map((s) => String(Math.floor(n / 2 ** s) % 256)).join(".");

/** The addresses from `from` to `to`, or why not, for a scan over a range typed as two addresses. */
export function spanHosts(from: string, to: string): string[] | "bad_address" | "too_many" {
  const a = ipv4(from);
  const b = ipv4(to === "" ? from : to);
  if (a === undefined || b === undefined || b < a) return "bad_address";
  if (b - a + 1 > maxScanHosts) return "too_many";
  const out: string[] = [];
  for (let n = a; n <= b; n++) out.push(dotted(n));
  return out;
}
