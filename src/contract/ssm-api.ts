/**
 * Secrets Manager (SSM, API version 2019-09-23) as the API 3.0 gateway offers
 * it: the version, the product name the SDKs sign with, and the parameters
 * the official SDK declares non-optional (ssm_models.d.ts), by message type;
 * an absent one answers MissingParameter. The service's own extras (the seed's
 * version operations, export and import, database instance registration)
 * follow the same rule: what they cannot work without.
 */
import type { ApiExposure } from "./api.js";

const REQUIRED = {
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
  "ssm.v1.CreateProductSecretRequest": ["SecretName", "UserNamePrefix", "ProductName", "InstanceID", "Domains", "PrivilegesList"],
  "ssm.v1.RotateProductSecretRequest": ["SecretName"],
  "ssm.v1.UpdateRotationStatusRequest": ["SecretName", "EnableRotation"],
  "ssm.v1.DescribeRotationDetailRequest": ["SecretName"],
  "ssm.v1.DescribeRotationHistoryRequest": ["SecretName"],
  "ssm.v1.DescribeAsyncRequestInfoRequest": ["FlowID"],
  "ssm.v1.DescribeSupportedProductsRequest": [],
  "ssm.v1.ProductPrivilegeUnit": ["PrivilegeName", "Privileges"],
  "ssm.v1.Tag": ["TagKey", "TagValue"],
  "ssm.v1.TagFilter": ["TagKey"],
  // The seed's operations and the service's own extras.
  "ssm.v1.EnableSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.DisableSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.UpdateSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.DescribeSecretVersionRequest": ["SecretName", "VersionId"],
  "ssm.v1.ExportSecretRequest": ["SecretName", "KmsKeyId"],
  "ssm.v1.ImportSecretRequest": ["Package"],
  "ssm.v1.RegisterDatabaseInstanceRequest": ["InstanceID", "ProductName", "Host", "Port", "AdminUser", "AdminPassword"],
  "ssm.v1.ListDatabaseInstancesRequest": [],
  "ssm.v1.DeregisterDatabaseInstanceRequest": ["InstanceID"],
} as const;

export const SSM_API: ApiExposure = { version: "2019-09-23", product: "ssm", required: REQUIRED };
