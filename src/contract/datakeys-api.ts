/**
 * The hosted data keys (DataKeyService) as the API 3.0 gateway offers them:
 * KMS's version and product, beside KeyManagementService's actions, and the
 * parameters the official SDK declares non-optional (kms_models.d.ts), by
 * message type.
 */
import type { ApiExposure } from "./api.js";

const REQUIRED = {
  "kms.v1.ImportDataKeyRequest": ["DataKeyName", "ImportKeyMaterial", "ImportType"],
  "kms.v1.DescribeDataKeyRequest": ["DataKeyId"],
  "kms.v1.DescribeDataKeysRequest": ["DataKeyIds"],
  "kms.v1.EnableDataKeyRequest": ["DataKeyId"],
  "kms.v1.EnableDataKeysRequest": ["DataKeyIds"],
  "kms.v1.DisableDataKeyRequest": ["DataKeyId"],
  "kms.v1.DisableDataKeysRequest": ["DataKeyIds"],
  "kms.v1.GetDataKeyPlaintextRequest": ["DataKeyId"],
  "kms.v1.GetDataKeyCiphertextBlobRequest": ["DataKeyId"],
  "kms.v1.ScheduleDataKeyDeletionRequest": ["DataKeyId", "PendingWindowInDays"],
  "kms.v1.CancelDataKeyDeletionRequest": ["DataKeyId"],
  "kms.v1.UpdateDataKeyNameRequest": ["DataKeyId", "DataKeyName"],
  "kms.v1.UpdateDataKeyDescriptionRequest": ["DataKeyId", "Description"],
  "kms.v1.Tag": ["TagKey", "TagValue"],
  "kms.v1.TagFilter": ["TagKey"],
} as const;

export const DATA_KEYS_API: ApiExposure = { version: "2019-01-18", product: "kms", required: REQUIRED };
