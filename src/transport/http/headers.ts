/** Headers every RPC answer carries, on gRPC, gRPC-Web and Connect alike. */

/** The call's RequestId (also in the audit event and the log). */
export const REQUEST_ID_HEADER = "kms-request-id";
/** The API 3.0 code of a failure (also in the kms.v1.ErrorInfo detail). */
export const ERROR_CODE_HEADER = "kms-error-code";
/** The region a gRPC/Connect call acts in (API 3.0 names it with X-TC-Region). */
export const REGION_HEADER = "kms-region";
