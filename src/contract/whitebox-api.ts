/**
 * White-box keys as the API 3.0 gateway offers them: KMS's version and
 * product (the 13 actions are KMS actions of 2019-01-18, served next to
 * KeyManagementService's), and the parameters the official SDK declares
 * non-optional (kms_models.d.ts), by message type.
 */
import type { ApiExposure } from "./api.js";
import { KMS_API } from "./kms-api.js";

const REQUIRED = {
  "kms.v1.CreateWhiteBoxKeyRequest": ["Alias", "Algorithm"],
  "kms.v1.DeleteWhiteBoxKeyRequest": ["KeyId"],
  "kms.v1.DescribeWhiteBoxKeyRequest": ["KeyId"],
  "kms.v1.DescribeWhiteBoxKeyDetailsRequest": [],
  "kms.v1.DescribeWhiteBoxDecryptKeyRequest": ["KeyId"],
  "kms.v1.DescribeWhiteBoxServiceStatusRequest": [],
  "kms.v1.DescribeWhiteBoxDeviceFingerprintsRequest": ["KeyId"],
  "kms.v1.OverwriteWhiteBoxDeviceFingerprintsRequest": ["KeyId"],
  "kms.v1.EnableWhiteBoxKeyRequest": ["KeyId"],
  "kms.v1.EnableWhiteBoxKeysRequest": ["KeyIds"],
  "kms.v1.DisableWhiteBoxKeyRequest": ["KeyId"],
  "kms.v1.DisableWhiteBoxKeysRequest": ["KeyIds"],
  "kms.v1.EncryptByWhiteBoxRequest": ["KeyId", "PlainText"],
  "kms.v1.DeviceFingerprint": ["Identity"],
  "kms.v1.Tag": ["TagKey", "TagValue"],
  "kms.v1.TagFilter": ["TagKey"],
} as const;

export const WHITEBOX_API: ApiExposure = { version: KMS_API.version, product: KMS_API.product, required: REQUIRED };
