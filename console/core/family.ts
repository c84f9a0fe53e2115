/**
 * A family of console pages (keys, access, audit; later secrets, data keys,
 * white-box keys, metrics) is one folder under console/families/ whose index
 * exports a ConsoleFamily; console/families.ts lists them. The shell builds its
 * navigation and routes from that list alone.
 */
import type { ComponentChild } from "preact";
import type { Api } from "./api.js";

export interface RouteContext {
  api: Api;
  /** Named parts of the matched path ("keys/:keyId" → { keyId }). */
  params: Record<string, string>;
  /** The hash query ("#/audit?afterSeq=41" → { afterSeq: "41" }). */
  query: URLSearchParams;
}

export interface ConsoleRoute {
  /** "keys", "keys/:keyId", "keys/:keyId/:tab" (segments separated by "/"). */
  path: string;
  /** The page title (document title and heading context). */
  title: string | ((params: Record<string, string>) => string);
  render(ctx: RouteContext): ComponentChild;
}

export interface ConsoleFamily {
  /** The first path segment its routes share, e.g. "keys". */
  id: string;
  /** Navigation entries, in order; `operatorOnly` ones are shown to the operator alone (Session.operator). */
  nav: readonly { href: string; label: string; operatorOnly?: boolean }[];
  routes: readonly ConsoleRoute[];
}
