/** The UnsealService and TrustService action tables, typed against their descriptors. */
import type { TrustService } from "../../../gen/kms/v1/trust_pb.js";
import type { UnsealService } from "../../../gen/kms/v1/unseal_pb.js";
import type { ActionTable } from "../../call.js";
import type { TrustServiceDeps, UnsealDeps } from "./common.js";
import { getKeyringStatus } from "./get-keyring-status.js";
import { getSealStatus } from "./get-seal-status.js";
import { initializeSeal } from "./initialize-seal.js";
import { rotateKeyring } from "./rotate-keyring.js";
import { rotateRootOfTrust } from "./rotate-root-of-trust.js";
import { submitUnsealShare } from "./submit-unseal-share.js";

export type { TrustServiceDeps, UnsealDeps } from "./common.js";

export const unsealActions: ActionTable<typeof UnsealService, UnsealDeps> = {
  getSealStatus,
  initializeSeal,
  submitUnsealShare,
};

export const trustActions: ActionTable<typeof TrustService, TrustServiceDeps> = {
  getKeyringStatus,
  rotateKeyring,
  rotateRootOfTrust,
};
