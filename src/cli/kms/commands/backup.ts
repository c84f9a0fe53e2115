/** kms backup: an online, consistent, sealed backup written by the server into KMS_BACKUP_DIR (kms.v1.BackupService). */
import { BackupService, CreateBackupResponseSchema } from "../../../../gen/kms/v1/backup_pb.js";
import { act, type CommandGroup } from "../cli.js";

export const backup: CommandGroup = (program, cli) => {
  const group = program.command("backup").description("online backups of the whole store (restore offline with npm run restore)");

  group
    .command("create")
    .description("write a backup into the server's KMS_BACKUP_DIR; prints its file name, size, SHA-256 and manifest (CreateBackup)")
    .action(act(async () => cli.print(CreateBackupResponseSchema, await (await cli.client(BackupService)).createBackup({}), { columns: ["keyspace", "count"] })));
};
