/**
 * The white-box family's actions table, typed against the service
 * descriptor: a missing or misspelt action does not compile. When the
 * operator turns the service off (KMS_WHITEBOX_ENABLED=false), every action
 * but DescribeWhiteBoxServiceStatus answers ResourceUnavailable.NotPurchased,
 * the code each of them documents for it.
 */
import type { WhiteBoxKeyService } from "../../../gen/kms/v1/whitebox_pb.js";
import type { ActionTable, CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { WhiteBoxDeps } from "../deps.js";
import { createWhiteBoxKey } from "./create-white-box-key.js";
import { deleteWhiteBoxKey } from "./delete-white-box-key.js";
import { describeWhiteBoxDecryptKey } from "./describe-white-box-decrypt-key.js";
import { describeWhiteBoxDeviceFingerprints } from "./describe-white-box-device-fingerprints.js";
import { describeWhiteBoxKeyDetails } from "./describe-white-box-key-details.js";
import { describeWhiteBoxKey } from "./describe-white-box-key.js";
import { describeWhiteBoxServiceStatus } from "./describe-white-box-service-status.js";
import { disableWhiteBoxKey } from "./disable-white-box-key.js";
import { disableWhiteBoxKeys } from "./disable-white-box-keys.js";
import { enableWhiteBoxKey } from "./enable-white-box-key.js";
import { enableWhiteBoxKeys } from "./enable-white-box-keys.js";
import { encryptByWhiteBox } from "./encrypt-by-white-box.js";
import { overwriteWhiteBoxDeviceFingerprints } from "./overwrite-white-box-device-fingerprints.js";

/** The action, refused with NotPurchased while the service is off. */
function offered<R, O>(action: (deps: WhiteBoxDeps, req: R, call: CallContext) => Promise<O>): (deps: WhiteBoxDeps, req: R, call: CallContext) => Promise<O> {
  return (deps, req, call) => {
    if (!deps.settings.enabled) return Promise.reject(new KmsError("ResourceUnavailable.NotPurchased", "the white-box key service is not enabled on this server"));
    return action(deps, req, call);
  };
}

export const whiteBoxActions: ActionTable<typeof WhiteBoxKeyService, WhiteBoxDeps> = {
  createWhiteBoxKey: offered(createWhiteBoxKey),
  deleteWhiteBoxKey: offered(deleteWhiteBoxKey),
  describeWhiteBoxKey: offered(describeWhiteBoxKey),
  describeWhiteBoxKeyDetails: offered(describeWhiteBoxKeyDetails),
  describeWhiteBoxDecryptKey: offered(describeWhiteBoxDecryptKey),
  describeWhiteBoxServiceStatus,
  describeWhiteBoxDeviceFingerprints: offered(describeWhiteBoxDeviceFingerprints),
  overwriteWhiteBoxDeviceFingerprints: offered(overwriteWhiteBoxDeviceFingerprints),
  enableWhiteBoxKey: offered(enableWhiteBoxKey),
  enableWhiteBoxKeys: offered(enableWhiteBoxKeys),
  disableWhiteBoxKey: offered(disableWhiteBoxKey),
  disableWhiteBoxKeys: offered(disableWhiteBoxKeys),
  encryptByWhiteBox: offered(encryptByWhiteBox),
};
