/**
 * Accounts and organisations: the operator's Accounts page (OperatorService;
 * its navigation entry is shown to the operator alone), and a member
 * account's keys and data keys for its organisation (reached from the data
 * key list and the Accounts page).
 */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { Accounts } from "./accounts.js";
import { MemberAccount } from "./members.js";

export const accounts: ConsoleFamily = {
  id: "accounts",
  nav: [{ href: "#/accounts", label: "Accounts", operatorOnly: true }],
  routes: [
    { path: "accounts", title: "Accounts", render: (ctx) => h(Accounts, ctx) },
    { path: "members", title: "Member accounts", render: (ctx) => h(MemberAccount, ctx) },
    { path: "members/:uin", title: (p) => `Member account ${p.uin ?? ""}`, render: (ctx) => h(MemberAccount, { ...ctx, key: `${ctx.params.uin}` }) },
  ],
};
