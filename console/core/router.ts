/**
 * Hash routing ("#/keys/<id>/versions"): the server serves one page, and the
 * address carries only page names and key ids, never a secret.
 */
import { useEffect, useState } from "preact/hooks";
import type { ConsoleFamily, ConsoleRoute } from "./family.js";

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function currentLocation(): Location {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path = "", query = ""] = raw.split("?", 2);
  return { path: path.replace(/\/+$/, ""), query: new URLSearchParams(query) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(currentLocation);
  useEffect(() => {
    const update = () => setLoc(currentLocation());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return loc;
}

export function navigate(href: string): void {
  location.hash = href.replace(/^#/, "");
}

/** "#/keys/<id>" for a path of segments, each encoded. */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join("/")}`;
}

export interface Match {
  route: ConsoleRoute;
  params: Record<string, string>;
}

function matchOne(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = path === "" ? [] : path.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(":")) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}

/** The first route of the first family that matches; literal routes are listed before parameterised ones. */
export function match(families: readonly ConsoleFamily[], path: string): Match | undefined {
  for (const family of families)
    for (const route of family.routes) {
      const params = matchOne(route.path, path);
      if (params) return { route, params };
    }
  return undefined;
}
