/**
 * Parameters the SDK declares non-optional (ssm_models.d.ts), by message
 * type, for the API 3.0 gateway: an absent one answers MissingParameter. The
 * same shape as REQUIRED in src/gateway/routes.ts, declared here so this
 * family imports no transport. The seed's own actions follow the same rule
 * (what they cannot work without).
 */
export type RequiredFields = Readonly<Record<string, readonly string[]>>;

export const SSM_API_VERSION = "2019-09-23";

export const SSM_REQUIRED: RequiredFields = {
  "ssm.v1.CreateSecretRequest": ["SecretName"],
  "ssm.v1.GetSecretValueRequest": ["SecretName", "VersionId"],
  "ssm.v1.PutSecretValueRequest": ["SecretName", "VersionId"],
  "ssm.v1.UpdateSecretRequest": ["SecretName", "VersionId"],
  "ssm.v1.UpdateDescriptionRequest": ["SecretName", "Description"],
  "ssm.v1.DescribeSecretRequest": ["SecretName"],
  "ssm.v1.ListSecretsRequest": [],
  "ssm.v1.ListSecretVersionIdsRequest": ["SecretName"],
  "ssm.v1.DeleteSecretRequest": ["SecretName"],
  "ssm.v1.DeleteSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.RestoreSecretRequest": ["SecretName"],
  "ssm.v1.EnableSecretRequest": ["SecretName"],
  "ssm.v1.DisableSecretRequest": ["SecretName"],
  "ssm.v1.CreateSSHKeyPairSecretRequest": ["SecretName", "ProjectId"],
  "ssm.v1.GetSSHKeyPairValueRequest": [],
  "ssm.v1.GetServiceStatusRequest": [],
  "ssm.v1.GetRegionsRequest": [],
  "ssm.v1.EnableSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.DisableSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.UpdateSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.DescribeSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.ExportSecretRequest": ["SecretName", "KmsKeyId"],
  "ssm.v1.ImportSecretRequest": ["Package"],
  "ssm.v1.Tag": ["TagKey", "TagValue"],
  "ssm.v1.TagFilter": ["TagKey"],
};
