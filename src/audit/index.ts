/** The audit module's public surface. */
export { AuditLog, MAX_QUERY_LIMIT, MAX_QUERY_SCAN, type AuditFilter, type AuditPage, type AuditQueryOptions } from "./audit-log.js";
export { loadAuditKey, verifyChain, type ChainHead, type VerifyFailureReason, type VerifyOptions, type VerifyReport } from "./chain.js";
export type { AuditEvent, StoredAuditEvent, Transport } from "./event.js";
export { toJsonLines } from "./export.js";
export { auditKeySealedKind } from "./chain.js";
export { checkpointKeySealedKind, parseCheckpoints, readCheckpointFile, storedCheckpointKey, type Checkpoint, type CheckpointSet } from "./checkpoint.js";
export { archivedEvents, verifyArchive, type ArchiveCheck } from "./archive.js";
export { auditRetentionJob, type ArchivedSegment, type RetentionPolicy } from "./retention.js";
export { SYSTEM_PRINCIPAL, systemEvent, systemJournals } from "./system.js";
