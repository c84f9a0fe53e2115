/** The keys family: list, create, and each key's page. */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { CreateKey } from "./create.js";
import { KeyPage } from "./key-page.js";
import { KeyList } from "./list.js";

export const keys: ConsoleFamily = {
  id: "keys",
  nav: [{ href: "#/keys", label: "Keys" }],
  routes: [
    { path: "keys", title: "Keys", render: (ctx) => h(KeyList, ctx) },
    { path: "keys/new", title: "Create key", render: (ctx) => h(CreateKey, ctx) },
    { path: "keys/:keyId", title: (p) => `Key ${p.keyId ?? ""}`, render: (ctx) => h(KeyPage, { ...ctx, key: `${ctx.params.keyId}` }) },
    { path: "keys/:keyId/:tab", title: (p) => `Key ${p.keyId ?? ""} · ${p.tab ?? ""}`, render: (ctx) => h(KeyPage, { ...ctx, key: `${ctx.params.keyId}` }) },
  ],
};
