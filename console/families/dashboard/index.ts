/** The dashboard family: call rates and error codes. Its numbers come from one MetricsSource (source.ts). */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { Dashboard } from "./dashboard.js";

export const dashboard: ConsoleFamily = {
  id: "dashboard",
  nav: [{ href: "#/dashboard", label: "Dashboard" }],
  routes: [{ path: "dashboard", title: "Dashboard", render: (ctx) => h(Dashboard, ctx) }],
};
