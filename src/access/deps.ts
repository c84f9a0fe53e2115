/** What the admin actions are given. */
import type { Clock } from "../clock.js";
import type { AccessKeyRegistry } from "./registry.js";

export interface AdminDeps {
  registry: AccessKeyRegistry;
  clock: Clock;
}
