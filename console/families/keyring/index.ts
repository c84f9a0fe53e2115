/** The keyring family: the root of trust's status, keyring rotation, and online backups (operator actions). */
import { h } from "preact";
import type { ConsoleFamily } from "../../core/family.js";
import { Keyring } from "./keyring.js";

export const keyring: ConsoleFamily = {
  id: "keyring",
  nav: [{ href: "#/keyring", label: "Keyring" }],
  routes: [{ path: "keyring", title: "Keyring", render: (ctx) => h(Keyring, ctx) }],
};
