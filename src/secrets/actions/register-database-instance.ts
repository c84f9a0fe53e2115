import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RegisterDatabaseInstanceRequest, RegisterDatabaseInstanceResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { databaseInstance } from "../present.js";
import { refOf, scopeOf } from "./common.js";

/** The audit subject of a database instance. */
export const instanceSubject = (instanceId: string) => `instance/${instanceId}`;

/**
 * RegisterDatabaseInstance (an operator's call): validate → log in as the
 * admin (a database that refuses or cannot be reached refuses the call) →
 * store the instance with its admin password sealed under the root key, in
 * one batch with the call's event. Re-registering replaces the address and
 * credentials and keeps the creation time.
 */
export async function registerDatabaseInstance(
  deps: SecretsDeps,
  req: RegisterDatabaseInstanceRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof RegisterDatabaseInstanceResponseSchema>> {
  const scope = refOf(scopeOf(call), "");
  const { record, replaced } = await deps.products.registerInstance(
    scope,
    {
      instanceId: req.instanceId,
      product: req.productName,
      host: req.host,
      port: req.port,
      adminUser: req.adminUser,
      adminPassword: req.adminPassword,
      description: req.description,
    },
    async (ops, guards) => void (await call.journal(ops, [instanceSubject(req.instanceId)], guards)),
  );
  return { instance: databaseInstance(record), replaced };
}
