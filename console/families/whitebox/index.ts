/** The white-box key family: list, create, and each key's page (state, tables, devices, encryption). */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { CreateWhiteBoxKey } from "./create.js";
import { WhiteBoxKeyPage } from "./key-page.js";
import { WhiteBoxList } from "./list.js";

export const whitebox: ConsoleFamily = {
  id: "whitebox",
  nav: [{ href: "#/whitebox", label: "White-box" }],
  routes: [
    { path: "whitebox", title: "White-box keys", render: (ctx) => h(WhiteBoxList, ctx) },
    { path: "whitebox/new", title: "Create white-box key", render: (ctx) => h(CreateWhiteBoxKey, ctx) },
    { path: "whitebox/:keyId", title: (p) => `White-box key ${p.keyId ?? ""}`, render: (ctx) => h(WhiteBoxKeyPage, { ...ctx, key: `${ctx.params.keyId}` }) },
    { path: "whitebox/:keyId/:tab", title: (p) => `White-box key ${p.keyId ?? ""} · ${p.tab ?? ""}`, render: (ctx) => h(WhiteBoxKeyPage, { ...ctx, key: `${ctx.params.keyId}` }) },
  ],
};
