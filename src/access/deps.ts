/** What the admin actions are given. */
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { Directory } from "./directory.js";

export interface AdminDeps {
  directory: Directory;
  audit: AuditLog;
  clock: Clock;
}
