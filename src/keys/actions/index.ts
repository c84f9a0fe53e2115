/**
 * The actions table: one function per RPC, keyed as the service descriptor
 * names its methods. The type makes a missing or misspelt action a compile
 * error, and both transports (gRPC/Connect, API 3.0) dispatch through it.
 */
import type { KeyManagementService } from "../../../gen/kms/v1/kms_pb.js";
import type { ActionTable } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { archiveKey } from "./archive-key.js";
import { cancelKeyArchive } from "./cancel-key-archive.js";
import { cancelKeyDeletion } from "./cancel-key-deletion.js";
import { createKey } from "./create-key.js";
import { decrypt } from "./decrypt.js";
import { describeKey } from "./describe-key.js";
import { describeKeys } from "./describe-keys.js";
import { disableKey } from "./disable-key.js";
import { disableKeys } from "./disable-keys.js";
import { enableKey } from "./enable-key.js";
import { enableKeys } from "./enable-keys.js";
import { encrypt } from "./encrypt.js";
import { generateDataKey } from "./generate-data-key.js";
import { generateRandom } from "./generate-random.js";
import { getRegions } from "./get-regions.js";
import { getServiceStatus } from "./get-service-status.js";
import { listKeyDetail } from "./list-key-detail.js";
import { listKeys } from "./list-keys.js";
import { reEncrypt } from "./re-encrypt.js";
import { scheduleKeyDeletion } from "./schedule-key-deletion.js";
import { updateAlias } from "./update-alias.js";
import { updateKeyDescription } from "./update-key-description.js";
import { deleteImportedKeyMaterial } from "./delete-imported-key-material.js";
import { disableKeyRotation } from "./disable-key-rotation.js";
import { enableKeyRotation } from "./enable-key-rotation.js";
import { getKeyRotationStatus } from "./get-key-rotation-status.js";
import { getParametersForImport } from "./get-parameters-for-import.js";
import { importKeyMaterial } from "./import-key-material.js";
import { rotateKey } from "./rotate-key.js";
import { asymmetricRsaDecrypt } from "./asymmetric-rsa-decrypt.js";
import { asymmetricSm2Decrypt } from "./asymmetric-sm2-decrypt.js";
import { getPublicKey } from "./get-public-key.js";
import { listAlgorithms } from "./list-algorithms.js";
import { postQuantumCryptoDecrypt } from "./post-quantum-crypto-decrypt.js";
import { postQuantumCryptoEncrypt } from "./post-quantum-crypto-encrypt.js";
import { postQuantumCryptoSign } from "./post-quantum-crypto-sign.js";
import { postQuantumCryptoVerify } from "./post-quantum-crypto-verify.js";
import { signByAsymmetricKey } from "./sign-by-asymmetric-key.js";
import { verifyByAsymmetricKey } from "./verify-by-asymmetric-key.js";
import { bindCloudResource } from "./bind-cloud-resource.js";
import { unbindCloudResource } from "./unbind-cloud-resource.js";

/** MemberAccount(s) are resolved by the pipeline: an action acts in call.uin (or call.accounts for a listing). */
export const actions: ActionTable<typeof KeyManagementService, KmsDeps> = {
  createKey,
  describeKey,
  describeKeys,
  listKeys,
  listKeyDetail,
  updateAlias,
  updateKeyDescription,
  enableKey,
  disableKey,
  enableKeys,
  disableKeys,
  scheduleKeyDeletion,
  cancelKeyDeletion,
  archiveKey,
  cancelKeyArchive,
  getServiceStatus,
  getRegions,
  encrypt,
  decrypt,
  reEncrypt,
  generateDataKey,
  generateRandom,
  enableKeyRotation,
  disableKeyRotation,
  getKeyRotationStatus,
  rotateKey,
  getParametersForImport,
  importKeyMaterial,
  deleteImportedKeyMaterial,
  getPublicKey,
  signByAsymmetricKey,
  verifyByAsymmetricKey,
  asymmetricRsaDecrypt,
  asymmetricSm2Decrypt,
  listAlgorithms,
  postQuantumCryptoEncrypt,
  postQuantumCryptoDecrypt,
  postQuantumCryptoSign,
  postQuantumCryptoVerify,
  bindCloudResource,
  unbindCloudResource,
};
