/** The audit family: the trail with its filters, and chain verification. */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { AuditTrail } from "./trail.js";

export const audit: ConsoleFamily = {
  id: "audit",
  nav: [{ href: "#/audit", label: "Audit" }],
  routes: [{ path: "audit", title: "Audit trail", render: (ctx) => h(AuditTrail, { ...ctx, key: ctx.query.get("afterSeq") ?? "" }) }],
};
