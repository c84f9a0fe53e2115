import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeSecretRequest, DescribeSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import type { SecretsDeps } from "../deps.js";
import { describeSecret as present } from "../present.js";
import { assertSecretAction } from "../state.js";
import { loadSecret, productViewOf, scopeOf } from "./common.js";

/** DescribeSecret: everything public about a secret, in any state (a product secret's rotation and accounts too); never a value. */
export async function describeSecret(deps: SecretsDeps, req: DescribeSecretRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeSecretResponseSchema>> {
  const secret = await loadSecret(deps, scopeOf(call), req.secretName);
  assertSecretAction(secret, "DescribeSecret");
  return present(secret, await productViewOf(deps, secret, true));
}
