import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeregisterDatabaseInstanceRequest, DeregisterDatabaseInstanceResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { validateInstanceId } from "../products/instance.js";
import { refOf, scopeOf } from "./common.js";
import { instanceSubject } from "./register-database-instance.js";

/** DeregisterDatabaseInstance: forgets an instance no product secret uses (ResourceInUse otherwise); its database is left alone. */
export async function deregisterDatabaseInstance(
  deps: SecretsDeps,
  req: DeregisterDatabaseInstanceRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DeregisterDatabaseInstanceResponseSchema>> {
  validateInstanceId(req.instanceId);
  await deps.products.deregisterInstance(refOf(scopeOf(call), ""), req.instanceId, async (ops, guards) => void (await call.journal(ops, [instanceSubject(req.instanceId)], guards)));
  return { instanceId: req.instanceId };
}
