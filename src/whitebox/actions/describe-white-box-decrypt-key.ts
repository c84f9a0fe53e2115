import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeWhiteBoxDecryptKeyRequest, DescribeWhiteBoxDecryptKeyResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import { deliveredDecryptTables } from "../present.js";
import { assertWhiteBoxAction } from "../state.js";
import { loadKey } from "../transition.js";
import { assertKeyId } from "../validate.js";

/** DescribeWhiteBoxDecryptKey: the DecryptKey file, bound to the key's device fingerprints when it has any. */
export async function describeWhiteBoxDecryptKey(
  deps: WhiteBoxDeps,
  req: DescribeWhiteBoxDecryptKeyRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DescribeWhiteBoxDecryptKeyResponseSchema>> {
  assertKeyId(req.keyId);
  const key = await loadKey(deps, scopeOf(call), req.keyId);
  assertWhiteBoxAction(key, "DescribeWhiteBoxDecryptKey");
  return { decryptKey: await deliveredDecryptTables(deps, key) };
}
