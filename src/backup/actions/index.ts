/** The backup actions table, typed against BackupService like keys/actions/index.ts. */
import type { BackupService } from "../../../gen/kms/v1/backup_pb.js";
import type { ActionTable } from "../../call.js";
import type { BackupDeps } from "../deps.js";
import { createBackup } from "./create-backup.js";

export const backupActions: ActionTable<typeof BackupService, BackupDeps> = {
  createBackup,
};
