import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateAccessKeyRequest, CreateAccessKeyResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../keys/deps.js";
import { assertDescription } from "../../keys/validate.js";
import type { AdminDeps } from "../deps.js";
import { accessKeyMessage } from "../present.js";

/** CreateAccessKey: a new pair for the caller's account; the secret is returned here only. */
export async function createAccessKey(deps: AdminDeps, req: CreateAccessKeyRequest, call: CallContext): Promise<MessageInitShape<typeof CreateAccessKeyResponseSchema>> {
  assertDescription(req.description);
  const { record, secretKey } = await deps.registry.create(call.uin, req.description, deps.clock.now());
  return { accessKey: accessKeyMessage(record), secretKey };
}
