/** Database instances of product secrets (Secrets Manager): list, register, deregister. Reached from the secret list's page, under Secrets. */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { DatabaseInstances } from "./instances.js";

export const databases: ConsoleFamily = {
  id: "databases",
  nav: [],
  routes: [{ path: "secrets/databases", title: "Database instances", render: (ctx) => h(DatabaseInstances, ctx) }],
};
