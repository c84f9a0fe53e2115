import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateAccessKeyRequest, CreateAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { accessKeyMessage } from "../present.js";
import { assertDescription, targetPrincipal } from "./common.js";

/** CreateAccessKey: a new pair for a principal (the caller by default); the secret is returned here only. */
export async function createAccessKey(deps: AdminDeps, req: CreateAccessKeyRequest, call: CallContext): Promise<MessageInitShape<typeof CreateAccessKeyResponseSchema>> {
  assertDescription(req.description);
  const uin = targetPrincipal(deps.directory.in(call.uin), req.principalUin, call);
  const { record, secretKey } = await deps.directory.in(call.uin).createAccessKey(uin, req.description, deps.clock.now(), undefined, call.journal);
  return { accessKey: accessKeyMessage(record), secretKey };
}
