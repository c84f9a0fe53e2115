/** The hosted data key family (DataKeyService): list, create (generate or import), and each data key's page. */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { CreateDataKey } from "./create.js";
import { DataKeyPage } from "./data-key-page.js";
import { DataKeyList } from "./list.js";

export const datakeys: ConsoleFamily = {
  id: "datakeys",
  nav: [{ href: "#/datakeys", label: "Data keys" }],
  routes: [
    { path: "datakeys", title: "Data keys", render: (ctx) => h(DataKeyList, ctx) },
    { path: "datakeys/new", title: "Create data key", render: (ctx) => h(CreateDataKey, ctx) },
    { path: "datakeys/:dataKeyId", title: (p) => `Data key ${p.dataKeyId ?? ""}`, render: (ctx) => h(DataKeyPage, { ...ctx, key: `${ctx.params.dataKeyId}?${ctx.query.get("member") ?? ""}` }) },
  ],
};
