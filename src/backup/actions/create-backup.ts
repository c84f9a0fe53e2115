/**
 * CreateBackup: a sealed, consistent backup of the whole store into
 * KMS_BACKUP_DIR (snapshot.ts, format.ts). It changes nothing in the store, so
 * it journals nothing; its audit event is the pipeline's, like any read.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateBackupRequest, CreateBackupResponseSchema } from "../../../gen/kms/v1/backup_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { BackupDeps } from "../deps.js";
import { writeBackup } from "../snapshot.js";

export async function createBackup(deps: BackupDeps, _req: CreateBackupRequest, _call: CallContext): Promise<MessageInitShape<typeof CreateBackupResponseSchema>> {
  if (!deps.dir) throw new KmsError("UnsupportedOperation", "backups are off: set KMS_BACKUP_DIR to the directory backups are written to");
  if (deps.running.active) throw new KmsError("FailedOperation", "a backup is already running; try again when it has finished");
  deps.running.active = true;
  try {
    let result: Awaited<ReturnType<typeof writeBackup>>;
    try {
      result = await writeBackup(deps.store, deps.rootKey, deps.dir, deps.clock.now());
    } catch (err) {
      throw new KmsError("InternalError", "the backup could not be written", err);
    }
    const m = result.manifest;
    return {
      fileName: result.fileName,
      sizeBytes: BigInt(result.sizeBytes),
      sha256: result.sha256,
      manifest: {
        backupId: m.backupId,
        createTimeMs: BigInt(m.createTimeMs),
        counts: Object.entries(m.counts).map(([keyspace, count]) => ({ keyspace, count: BigInt(count) })),
        entries: BigInt(m.entries),
        auditHeadSeq: BigInt(m.auditHead?.seq ?? 0),
        auditHeadMac: m.auditHead?.mac ?? "",
      },
    };
  } finally {
    deps.running.active = false;
  }
}
