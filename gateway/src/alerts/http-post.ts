import { DeliveryError, redact } from "./alert-sender.js";
import { resolvedHostRefusal } from "./receiver-address.js";

/**
 * POSTs a body to a receiver and resolves on 2xx. Redirects are not followed (a receiver cannot send the
 * gateway elsewhere) and count as a failure, as does any other status; the answer's body is not read.
 * Receivers at link-local, metadata, multicast or broadcast addresses are refused (receiver-address.ts).
 * Errors never show the URL's path or query (a webhook path or a bot token is a secret).
 */
export async function postTo(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  secrets: readonly (string | undefined)[],
): Promise<void> {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new DeliveryError(`scheme ${target.protocol} is not allowed`);
  }
  let refused;
  try {
    refused = await resolvedHostRefusal(target.hostname);
  } catch (err) {
    throw new DeliveryError(`${target.origin}: ${(err as { code?: string }).code ?? "unknown host"}`);
  }
  // Checked before each send: a name may resolve elsewhere than when the channel was added.
  if (refused !== undefined) throw new DeliveryError(`${target.origin}: address refused (${refused})`);
  let res: Response;
  try {
    res = await fetch(target, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "user-agent": "Pantau", ...headers },
      redirect: "manual",
      signal,
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = signal.aborted ? "timed out" : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new DeliveryError(redact(`${target.origin}: ${why}`, secrets));
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status > 299) {
    throw new DeliveryError(`${target.origin} answered ${String(res.status)}`);
  }
}
