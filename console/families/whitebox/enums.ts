/** White-box keys' algorithms and states as the API spells them. */
import { WhiteBoxAlgorithm, WhiteBoxKeyStatus } from "../../../gen/kms/v1/whitebox_pb.js";

export const ALGORITHM_NAMES: Record<WhiteBoxAlgorithm, string> = {
  [WhiteBoxAlgorithm.UNSPECIFIED]: "—",
  [WhiteBoxAlgorithm.AES_256]: "AES_256",
  [WhiteBoxAlgorithm.SM4]: "SM4",
};

export const STATUS_NAMES: Record<WhiteBoxKeyStatus, string> = {
  [WhiteBoxKeyStatus.UNSPECIFIED]: "—",
  [WhiteBoxKeyStatus.ENABLED]: "Enabled",
  [WhiteBoxKeyStatus.DISABLED]: "Disabled",
};

/** Tencent's DeviceFingerprint.Identity pattern (the service checks it too). */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{14}-[0-9a-f]{16}$/;
