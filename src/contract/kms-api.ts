/**
 * KMS (API version 2019-01-18) as the API 3.0 gateway offers it: the version,
 * the product name the SDKs sign with, and the parameters the official SDK
 * declares non-optional (kms_models.d.ts), by message type.
 */
import type { ApiExposure } from "./api.js";

const REQUIRED = {
  "kms.v1.CreateKeyRequest": ["Alias"],
  "kms.v1.DescribeKeyRequest": ["KeyId"],
  "kms.v1.DescribeKeysRequest": ["KeyIds"],
  "kms.v1.UpdateAliasRequest": ["Alias", "KeyId"],
  "kms.v1.UpdateKeyDescriptionRequest": ["Description", "KeyId"],
  "kms.v1.EnableKeyRequest": ["KeyId"],
  "kms.v1.DisableKeyRequest": ["KeyId"],
  "kms.v1.EnableKeysRequest": ["KeyIds"],
  "kms.v1.DisableKeysRequest": ["KeyIds"],
  "kms.v1.ScheduleKeyDeletionRequest": ["KeyId", "PendingWindowInDays"],
  "kms.v1.CancelKeyDeletionRequest": ["KeyId"],
  "kms.v1.ArchiveKeyRequest": ["KeyId"],
  "kms.v1.CancelKeyArchiveRequest": ["KeyId"],
  "kms.v1.EncryptRequest": ["KeyId", "Plaintext"],
  "kms.v1.DecryptRequest": ["CiphertextBlob"],
  "kms.v1.ReEncryptRequest": ["CiphertextBlob"],
  "kms.v1.GenerateDataKeyRequest": ["KeyId"],
  "kms.v1.GenerateRandomRequest": ["NumberOfBytes"],
  "kms.v1.EnableKeyRotationRequest": ["KeyId"],
  "kms.v1.DisableKeyRotationRequest": ["KeyId"],
  "kms.v1.GetKeyRotationStatusRequest": ["KeyId"],
  "kms.v1.RotateKeyRequest": ["KeyId"],
  "kms.v1.GetParametersForImportRequest": ["KeyId", "WrappingAlgorithm", "WrappingKeySpec"],
  "kms.v1.ImportKeyMaterialRequest": ["EncryptedKeyMaterial", "ImportToken", "KeyId"],
  "kms.v1.DeleteImportedKeyMaterialRequest": ["KeyId"],
  "kms.v1.GetPublicKeyRequest": ["KeyId"],
  "kms.v1.SignByAsymmetricKeyRequest": ["Algorithm", "Message", "KeyId"],
  "kms.v1.VerifyByAsymmetricKeyRequest": ["KeyId", "SignatureValue", "Message", "Algorithm"],
  "kms.v1.AsymmetricRsaDecryptRequest": ["KeyId", "Ciphertext", "Algorithm"],
  "kms.v1.AsymmetricSm2DecryptRequest": ["KeyId", "Ciphertext"],
  "kms.v1.PostQuantumCryptoEncryptRequest": ["KeyId", "PlainText"],
  "kms.v1.PostQuantumCryptoDecryptRequest": ["CiphertextBlob"],
  "kms.v1.PostQuantumCryptoSignRequest": ["Message", "KeyId"],
  "kms.v1.PostQuantumCryptoVerifyRequest": ["KeyId", "SignatureValue", "Message"],
  "kms.v1.BindCloudResourceRequest": ["KeyId", "ProductId", "ResourceId"],
  "kms.v1.UnbindCloudResourceRequest": ["KeyId", "ProductId", "ResourceId"],
  "kms.v1.Tag": ["TagKey", "TagValue"],
  "kms.v1.TagFilter": ["TagKey"],
} as const;

export const KMS_API: ApiExposure = { version: "2019-01-18", product: "kms", required: REQUIRED };
