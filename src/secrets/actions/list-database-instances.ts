import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListDatabaseInstancesRequest, ListDatabaseInstancesResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { databaseInstance } from "../present.js";
import { refOf, scopeOf } from "./common.js";

/** ListDatabaseInstances: the account's instances in the region, by id; never an admin password. */
export async function listDatabaseInstances(
  deps: SecretsDeps,
  _req: ListDatabaseInstancesRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof ListDatabaseInstancesResponseSchema>> {
  const instances = await deps.products.instances.list(refOf(scopeOf(call), ""));
  return { instances: instances.map(databaseInstance), totalCount: instances.length };
}
