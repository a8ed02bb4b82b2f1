import { shellRequest } from "./shell-policy.js";

/**
 * The parent app's service worker (/sw.js): the page shell (page, script, style, icons, manifest) is kept so
 * the app opens from the home screen on a bad connection, and fetched from the network first so an update
 * shows at once. Media, the API and access links are never touched: they pass through to the network
 * (shell-policy.ts), so no stream token, refusal or picture is ever kept or answered from here.
 */

/** What this worker uses of the ServiceWorkerGlobalScope (the DOM lib has no worker types). */
interface WaitUntil extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchLike extends WaitUntil {
  readonly request: Request;
  respondWith(r: Promise<Response>): void;
}
interface WorkerScope {
  readonly location: Location;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: "install" | "activate", fn: (e: WaitUntil) => void): void;
  addEventListener(type: "fetch", fn: (e: FetchLike) => void): void;
}

const sw = self as unknown as WorkerScope;
/** Bumped when the shell's caching changes; older caches are deleted on activation. */
const cacheName = "pantau-shell-v1";
const precache = ["/watch", "/assets/player.js", "/assets/viewer.css", "/manifest.webmanifest"];

sw.addEventListener("install", (e) => {
  e.waitUntil(
    (async () => {
      const cache = await caches.open(cacheName);
      // One by one: a shell file that fails (a gateway mid-restart) must not keep the worker out.
      await Promise.all(
        precache.map((path) =>
          cache.add(path).catch((err: unknown) => {
            console.warn(`pantau sw: not cached ${path}`, err);
          }),
        ),
      );
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener("activate", (e) => {
  e.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== cacheName) await caches.delete(name);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener("fetch", (e) => {
  const req = e.request;
  // Not answering leaves the request to the browser as if there were no worker.
  if (!shellRequest(req.method, new URL(req.url), sw.location.origin)) return;
  e.respondWith(networkFirst(req));
});

/** The network's answer, kept for next time; the kept one when the network fails. */
async function networkFirst(req: Request): Promise<Response> {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetch(req);
    if (res.ok && res.type === "basic") await cache.put(req, res.clone());
    return res;
  } catch (err) {
    const kept = await cache.match(req, { ignoreSearch: true });
    if (kept) return kept;
    throw err;
  }
}
