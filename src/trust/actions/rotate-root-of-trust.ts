import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RotateRootOfTrustRequest, RotateRootOfTrustResponseSchema } from "../../../gen/kms/v1/trust_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import { describeRoot } from "../trust.js";
import { assertRoot, type TrustServiceDeps } from "./common.js";

/** RotateRootOfTrust: the keyring wrapped under a new HSM key, or (with the current quorum) new Shamir shares. */
export async function rotateRootOfTrust(deps: TrustServiceDeps, req: RotateRootOfTrustRequest, call: CallContext): Promise<MessageInitShape<typeof RotateRootOfTrustResponseSchema>> {
  assertRoot(call);
  const shamir = deps.trust.mode === "shamir";
  if (!shamir && (req.currentShares.length > 0 || req.shares !== 0 || req.threshold !== 0))
    throw new KmsError("InvalidParameterValue", "current_shares, shares and threshold apply to a Shamir seal only");
  if (shamir && req.currentShares.length === 0) throw new KmsError("MissingParameter", "current_shares is required: the current seal's threshold of shares");
  if (req.currentShares.length > 255) throw new KmsError("InvalidParameterValue", "current_shares holds at most 255 shares");
  const rekey = shamir ? { currentShares: req.currentShares, shares: req.shares, threshold: req.threshold } : undefined;
  const { root, shares } = await deps.trust.rotateRoot(rekey);
  return { root: describeRoot(root), shares };
}
