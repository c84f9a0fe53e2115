import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SubmitUnsealShareRequest, SubmitUnsealShareResponseSchema } from "../../../gen/kms/v1/unseal_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import { requireUnsealer, sealStatus, type UnsealDeps } from "./common.js";

/** SubmitUnsealShare: one share (checked on arrival); at the threshold the service unseals. `reset` forgets earlier shares first. */
export async function submitUnsealShare(deps: UnsealDeps, req: SubmitUnsealShareRequest, _call: CallContext): Promise<MessageInitShape<typeof SubmitUnsealShareResponseSchema>> {
  const unsealer = requireUnsealer(deps);
  if (req.share === "" && !req.reset) throw new KmsError("MissingParameter", "share is required (or reset: true)");
  if (req.share.length > 256) throw new KmsError("InvalidParameterValue", "share is at most 256 characters");
  if (req.reset) await unsealer.reset();
  if (req.share !== "") await unsealer.submit(req.share);
  return { status: sealStatus(deps) };
}
