/** The access family: principals with their credentials and policies, and the policy editor. */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { PrincipalPage } from "./principal-page.js";
import { Principals } from "./principals.js";
import { PolicyEditor, PolicyList } from "./policies.js";

export const access: ConsoleFamily = {
  id: "access",
  nav: [
    { href: "#/access/principals", label: "Principals" },
    { href: "#/access/policies", label: "Policies" },
  ],
  routes: [
    { path: "access", title: "Principals", render: (ctx) => h(Principals, ctx) },
    { path: "access/principals", title: "Principals", render: (ctx) => h(Principals, ctx) },
    { path: "access/principals/:uin", title: (p) => `Principal ${p.uin ?? ""}`, render: (ctx) => h(PrincipalPage, { ...ctx, key: ctx.params.uin }) },
    { path: "access/policies", title: "Policies", render: (ctx) => h(PolicyList, ctx) },
    { path: "access/new-policy", title: "Create policy", render: (ctx) => h(PolicyEditor, { ...ctx, key: "new" }) },
    { path: "access/policies/:name", title: (p) => `Policy ${p.name ?? ""}`, render: (ctx) => h(PolicyEditor, { ...ctx, key: ctx.params.name }) },
  ],
};
