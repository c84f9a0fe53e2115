import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EnableAccessKeyRequest, EnableAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { ownerOfAccessKey } from "./common.js";

/** EnableAccessKey: Lets a disabled access key sign requests again. */
export async function enableAccessKey(deps: AdminDeps, req: EnableAccessKeyRequest, call: CallContext): Promise<MessageInitShape<typeof EnableAccessKeyResponseSchema>> {
  ownerOfAccessKey(deps.directory.in(call.uin), req.secretId, call);
  await deps.directory.in(call.uin).setAccessKeyStatus(req.secretId, "Enabled", call.journal);
  return {};
}
