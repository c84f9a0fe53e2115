/**
 * The secrets actions table: one function per RPC of SecretsManagerService,
 * keyed as the descriptor names its methods. The type makes a missing or
 * misspelt action a compile error; every transport dispatches through it.
 */
import type { SecretsManagerService } from "../../../gen/ssm/v1/ssm_pb.js";
import type { ActionTable } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { createProductSecret } from "./create-product-secret.js";
import { createSecret } from "./create-secret.js";
import { createSSHKeyPairSecret } from "./create-ssh-key-pair-secret.js";
import { deleteSecret } from "./delete-secret.js";
import { deleteSecretVersion } from "./delete-secret-version.js";
import { deregisterDatabaseInstance } from "./deregister-database-instance.js";
import { describeAsyncRequestInfo } from "./describe-async-request-info.js";
import { describeRotationDetail } from "./describe-rotation-detail.js";
import { describeRotationHistory } from "./describe-rotation-history.js";
import { describeSecret } from "./describe-secret.js";
import { describeSecretVersion } from "./describe-secret-version.js";
import { describeSupportedProducts } from "./describe-supported-products.js";
import { disableSecret } from "./disable-secret.js";
import { disableSecretVersion } from "./disable-secret-version.js";
import { enableSecret } from "./enable-secret.js";
import { enableSecretVersion } from "./enable-secret-version.js";
import { exportSecret } from "./export-secret.js";
import { getRegions } from "./get-regions.js";
import { getSecretValue } from "./get-secret-value.js";
import { getServiceStatus } from "./get-service-status.js";
import { getSSHKeyPairValue } from "./get-ssh-key-pair-value.js";
import { importSecret } from "./import-secret.js";
import { listDatabaseInstances } from "./list-database-instances.js";
import { listSecrets } from "./list-secrets.js";
import { listSecretVersionIds } from "./list-secret-version-ids.js";
import { putSecretValue } from "./put-secret-value.js";
import { registerDatabaseInstance } from "./register-database-instance.js";
import { restoreSecret } from "./restore-secret.js";
import { rotateProductSecret } from "./rotate-product-secret.js";
import { updateDescription } from "./update-description.js";
import { updateSecret } from "./update-secret.js";
import { updateRotationStatus } from "./update-rotation-status.js";
import { updateSecretVersion } from "./update-secret-version.js";

export const secretsActions: ActionTable<typeof SecretsManagerService, SecretsDeps> = {
  createSecret,
  getSecretValue,
  putSecretValue,
  updateSecret,
  updateDescription,
  describeSecret,
  listSecrets,
  listSecretVersionIds,
  deleteSecret,
  deleteSecretVersion,
  restoreSecret,
  enableSecret,
  disableSecret,
  createSSHKeyPairSecret,
  getSSHKeyPairValue,
  getServiceStatus,
  getRegions,
  enableSecretVersion,
  disableSecretVersion,
  updateSecretVersion,
  describeSecretVersion,
  exportSecret,
  importSecret,
  createProductSecret,
  rotateProductSecret,
  updateRotationStatus,
  describeRotationDetail,
  describeRotationHistory,
  describeAsyncRequestInfo,
  describeSupportedProducts,
  registerDatabaseInstance,
  listDatabaseInstances,
  deregisterDatabaseInstance,
};
