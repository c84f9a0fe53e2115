/** Headers every RPC answer carries, on gRPC, gRPC-Web and Connect alike. */

/** The call's RequestId (also in the audit event and the log). */
export const REQUEST_ID_HEADER = "kms-request-id";
/** The API 3.0 code of a failure (also in the kms.v1.ErrorInfo detail). */
export const ERROR_CODE_HEADER = "kms-error-code";
/** The region a gRPC/Connect call acts in (API 3.0 names it with X-TC-Region). */
export const REGION_HEADER = "kms-region";
/** On a shared store (replicas), the store revision of the answer's change: name it as kms-min-revision to read it on any replica. */
export const REVISION_HEADER = "kms-revision";
/** A call that must see a change (an earlier answer's kms-revision) waits until this replica has applied it. */
export const MIN_REVISION_HEADER = "kms-min-revision";

/** The kms-revision header of an answer whose call changed something (none otherwise). */
export function revisionHeader(revision: bigint | undefined): Record<string, string> {
  return revision === undefined ? {} : { [REVISION_HEADER]: revision.toString() };
}
