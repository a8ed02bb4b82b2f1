import { useEffect, useState } from "preact/hooks";

/**
 * Screens are addressed after the # (`/admin#/guardians?q=sari`): the gateway serves one page at /admin, a
 * reload or a shared address opens the same screen, and the browser's back button works.
 */
export interface Route {
  path: string;
  query: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path = "/", q = ""] = raw.split("?", 2);
  return { path, query: new URLSearchParams(q) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => {
      setRoute(currentRoute());
    };
    addEventListener("hashchange", on);
    return () => {
      removeEventListener("hashchange", on);
    };
  }, []);
  return route;
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

export function navigate(path: string, query?: Record<string, string | undefined>): void {
  location.hash = href(path, query);
}

/** Changes the query of the current screen without a history entry per keystroke (a search box). */
export function replaceQuery(query: Record<string, string | undefined>): void {
  history.replaceState(null, "", href(currentRoute().path, query));
  dispatchEvent(new HashChangeEvent("hashchange"));
}
