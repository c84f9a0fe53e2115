/**
 * The one error type of the service. Everything a caller can cause or see is a
 * KmsError carrying the exact Tencent Cloud API 3.0 code; the transports map
 * it (gRPC status, API 3.0 envelope) and nothing else does.
 */

/** gRPC status codes (the numbers are fixed by the gRPC spec), so the domain needs no transport import. */
export const GrpcStatus = {
  InvalidArgument: 3,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** Tencent code → gRPC status and a short description. The single source. */
export const ERROR_CODES = {
  InternalError: [GrpcStatus.Internal, "internal error"],
  InvalidAction: [GrpcStatus.Unimplemented, "unknown action"],
  MissingParameter: [GrpcStatus.InvalidArgument, "missing parameter"],
  UnknownParameter: [GrpcStatus.InvalidArgument, "unknown parameter"],
  NoSuchVersion: [GrpcStatus.InvalidArgument, "no such API version"],
  UnsupportedRegion: [GrpcStatus.InvalidArgument, "unsupported region"],
  RequestLimitExceeded: [GrpcStatus.ResourceExhausted, "request rate limit exceeded"],
  RequestSizeLimitExceeded: [GrpcStatus.InvalidArgument, "request too large"],
  "AuthFailure.InvalidAuthorization": [GrpcStatus.Unauthenticated, "malformed Authorization"],
  "AuthFailure.SignatureExpire": [GrpcStatus.Unauthenticated, "signature expired"],
  "AuthFailure.SignatureFailure": [GrpcStatus.Unauthenticated, "signature mismatch"],
  "AuthFailure.SecretIdNotFound": [GrpcStatus.Unauthenticated, "unknown or disabled SecretId"],
  "AuthFailure.TokenFailure": [GrpcStatus.Unauthenticated, "invalid token"],
  UnauthorizedOperation: [GrpcStatus.PermissionDenied, "not allowed by the caller's policies"],
  ResourceNotFound: [GrpcStatus.NotFound, "resource not found"],
  ResourceInUse: [GrpcStatus.AlreadyExists, "resource in use"],
  InvalidParameter: [GrpcStatus.InvalidArgument, "invalid parameter"],
  "InvalidParameter.InvalidPendingWindowInDays": [GrpcStatus.InvalidArgument, "pending window out of range"],
  InvalidParameterValue: [GrpcStatus.InvalidArgument, "invalid parameter value"],
  "InvalidParameterValue.AliasAlreadyExists": [GrpcStatus.AlreadyExists, "alias already exists"],
  "InvalidParameterValue.DuplicatedKeyId": [GrpcStatus.InvalidArgument, "duplicated key id"],
  "InvalidParameterValue.InvalidAlias": [GrpcStatus.InvalidArgument, "invalid alias"],
  "InvalidParameterValue.InvalidCiphertext": [GrpcStatus.InvalidArgument, "invalid ciphertext"],
  "InvalidParameterValue.InvalidKeyId": [GrpcStatus.InvalidArgument, "invalid key id"],
  "InvalidParameterValue.InvalidKeyUsage": [GrpcStatus.InvalidArgument, "invalid key usage"],
  "InvalidParameterValue.InvalidPlaintext": [GrpcStatus.InvalidArgument, "invalid plaintext"],
  "InvalidParameterValue.InvalidType": [GrpcStatus.InvalidArgument, "invalid type"],
  "InvalidParameterValue.TagKeysDuplicated": [GrpcStatus.InvalidArgument, "duplicated tag keys"],
  "FailedOperation.CmkUsedByCloudProduct": [GrpcStatus.FailedPrecondition, "key bound to a cloud resource"],
  "FailedOperation.DecryptError": [GrpcStatus.InvalidArgument, "decryption failed"],
  "LimitExceeded.CmkLimitExceeded": [GrpcStatus.ResourceExhausted, "key limit reached"],
  "ResourceUnavailable.CmkNotFound": [GrpcStatus.NotFound, "key not found"],
  "ResourceUnavailable.CmkDisabled": [GrpcStatus.FailedPrecondition, "key disabled"],
  "ResourceUnavailable.CmkArchived": [GrpcStatus.FailedPrecondition, "key archived"],
  "ResourceUnavailable.CmkStateNotSupport": [GrpcStatus.FailedPrecondition, "key state does not allow this"],
  "ResourceUnavailable.CmkShouldBeDisabled": [GrpcStatus.FailedPrecondition, "key must be disabled"],
  "ResourceUnavailable.CmkNotPendingDelete": [GrpcStatus.FailedPrecondition, "key not pending deletion"],
  "ResourceUnavailable.KeyDisabled": [GrpcStatus.FailedPrecondition, "key version disabled"],
  "ResourceUnavailable.TokenExpired": [GrpcStatus.FailedPrecondition, "import token expired"],
  "UnsupportedOperation.ExternalCmkCanNotRotate": [GrpcStatus.FailedPrecondition, "EXTERNAL keys cannot rotate"],
  "UnsupportedOperation.NotExternalCmk": [GrpcStatus.FailedPrecondition, "not an EXTERNAL key"],
  "InvalidParameter.DecryptMaterialError": [GrpcStatus.InvalidArgument, "cannot decrypt key material"],
  "InvalidParameterValue.MaterialNotMatch": [GrpcStatus.InvalidArgument, "material differs from the imported one"],
  LimitExceeded: [GrpcStatus.ResourceExhausted, "limit exceeded"],
  UnsupportedOperation: [GrpcStatus.FailedPrecondition, "unsupported operation"],
  "UnsupportedOperation.ServiceTemporaryUnavailable": [GrpcStatus.Unavailable, "service temporarily unavailable"],
  // Secrets Manager (SSM, 2019-09-23) and its product secrets: the codes its actions document (tencentcloud-sdk-go ssm/v20190923 client.go).
  FailedOperation: [GrpcStatus.FailedPrecondition, "operation not allowed in the current state"],
  "FailedOperation.AccessKmsError": [GrpcStatus.FailedPrecondition, "KMS refused the operation"],
  "ResourceInUse.SecretExists": [GrpcStatus.AlreadyExists, "secret name already exists"],
  "ResourceInUse.VersionIdExists": [GrpcStatus.AlreadyExists, "version id already exists"],
  ResourceUnavailable: [GrpcStatus.FailedPrecondition, "resource unavailable (a version outside its window, a database instance that refuses)"],
  "ResourceUnavailable.ResourceDisabled": [GrpcStatus.FailedPrecondition, "secret or version disabled"],
  "ResourceUnavailable.ResourcePendingDeleted": [GrpcStatus.FailedPrecondition, "secret pending deletion"],
  "ResourceUnavailable.ResourceUninitialized": [GrpcStatus.FailedPrecondition, "secret not initialised"],
  // White-box keys (KMS 2019-01-18): the codes the white-box actions document (tencentcloud-sdk-go kms/v20190118 client.go).
  "LimitExceeded.KeyLimitExceeded": [GrpcStatus.ResourceExhausted, "white-box key limit reached"],
  "LimitExceeded.FingerprintsLimitExceeded": [GrpcStatus.ResourceExhausted, "too many device fingerprints"],
  "ResourceUnavailable.NotPurchased": [GrpcStatus.FailedPrecondition, "white-box key service not enabled"],
  // Secrets Manager wiring (#14): product secrets (CreateProductSecret and the rotation actions).
  "OperationDenied.AutoRotatedResource": [GrpcStatus.FailedPrecondition, "a rotated secret's value changes only by rotation"],
  "FailedOperation.RotationForbidden": [GrpcStatus.FailedPrecondition, "this secret does not rotate"],
  // Hosted data keys and HsmClusterId (KMS 2019-01-18; the codes of the SDK's KmsErrorCode list).
  "InvalidParameterValue.InvalidDataKeyId": [GrpcStatus.InvalidArgument, "invalid data key id"],
  "InvalidParameterValue.InvalidDataKeyName": [GrpcStatus.InvalidArgument, "invalid data key name"],
  "InvalidParameterValue.DataKeyNameAlreadyExists": [GrpcStatus.AlreadyExists, "data key name already exists"],
  "InvalidParameterValue.DuplicatedDataKeyId": [GrpcStatus.InvalidArgument, "duplicated data key id"],
  "InvalidParameterValue.InvalidImportKeyMaterial": [GrpcStatus.InvalidArgument, "invalid imported data key"],
  "InvalidParameterValue.InvalidHsmClusterId": [GrpcStatus.InvalidArgument, "not this service's HSM cluster"],
  "LimitExceeded.DataKeyLimitExceeded": [GrpcStatus.ResourceExhausted, "data key limit reached"],
  "ResourceUnavailable.DataKeyNotFound": [GrpcStatus.NotFound, "data key not found"],
  "ResourceUnavailable.DataKeyDisabled": [GrpcStatus.FailedPrecondition, "data key disabled"],
  "ResourceUnavailable.DataKeyPendingDelete": [GrpcStatus.FailedPrecondition, "data key pending deletion"],
  "ResourceUnavailable.DataKeyNotPendingDelete": [GrpcStatus.FailedPrecondition, "data key not pending deletion"],
  "ResourceUnavailable.DataKeyStateNotSupport": [GrpcStatus.FailedPrecondition, "data key state does not allow this"],
} as const satisfies Record<string, readonly [GrpcStatus, string]>;

/** Every API 3.0 code this service can answer. A typo does not compile. */
export type ErrorCode = keyof typeof ERROR_CODES;

export class KmsError extends Error {
  override readonly name = "KmsError";

  /**
   * @param code the API 3.0 code sent to the caller
   * @param message safe to show the caller: names the field and the limit, never secrets
   * @param cause internal detail, logged and never sent
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }

  /** The gRPC status this code maps to. */
  get grpcCode(): GrpcStatus {
    return ERROR_CODES[this.code][0];
  }
}
