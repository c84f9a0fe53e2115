/** The secrets family (Secrets Manager): list, create, import, and each secret's page. */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { CreateSecret } from "./create.js";
import { ImportSecret } from "./import.js";
import { SecretList } from "./list.js";
import { SecretPage } from "./secret-page.js";

export const secrets: ConsoleFamily = {
  id: "secrets",
  nav: [{ href: "#/secrets", label: "Secrets" }],
  routes: [
    { path: "secrets", title: "Secrets", render: (ctx) => h(SecretList, ctx) },
    { path: "secrets/new", title: "Create secret", render: (ctx) => h(CreateSecret, ctx) },
    { path: "secrets/import", title: "Import secret", render: (ctx) => h(ImportSecret, ctx) },
    { path: "secrets/s/:name", title: (p) => `Secret ${p.name ?? ""}`, render: (ctx) => h(SecretPage, { ...ctx, key: `${ctx.params.name}` }) },
    { path: "secrets/s/:name/:tab", title: (p) => `Secret ${p.name ?? ""} · ${p.tab ?? ""}`, render: (ctx) => h(SecretPage, { ...ctx, key: `${ctx.params.name}` }) },
  ],
};
