import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DescribeWhiteBoxKeyRequest, DescribeWhiteBoxKeyResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import { keyInfo } from "../present.js";
import { assertWhiteBoxAction } from "../state.js";
import { loadKey } from "../transition.js";
import { assertKeyId } from "../validate.js";

/** DescribeWhiteBoxKey: one key's attributes and both table files. */
export async function describeWhiteBoxKey(deps: WhiteBoxDeps, req: DescribeWhiteBoxKeyRequest, call: CallContext): Promise<MessageInitShape<typeof DescribeWhiteBoxKeyResponseSchema>> {
  assertKeyId(req.keyId);
  const key = await loadKey(deps, scopeOf(call), req.keyId);
  assertWhiteBoxAction(key, "DescribeWhiteBoxKey");
  return { keyInfo: await keyInfo(deps, key) };
}
