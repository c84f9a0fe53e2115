import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { KeyRecord } from "../key.js";
import { changeKeys } from "../change.js";
import { resolveKey } from "../resolver.js";
import { assertTransition } from "../state.js";
import { assertKeyId } from "../validate.js";
import { forgetMaterial } from "../version-material.js";

/** DeleteImportedKeyMaterial: the material goes, the key returns to PendingImport; its fingerprint stays, so only the same material can come back. */
export async function deleteImportedKeyMaterial(
  deps: KmsDeps,
  req: DeleteImportedKeyMaterialRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DeleteImportedKeyMaterialResponseSchema>> {
  assertKeyId(req.keyId);
  await changeKeys(deps, [req.keyId], async () => {
    const key = await resolveKey(deps, call, "import", req.keyId);
    const after: KeyRecord = { ...key, keyState: assertTransition(key, "DeleteImportedKeyMaterial"), versions: [] };
    delete after.validTo;
    const ops = key.versions.map((v) => deps.repo.delVersion(key.keyId, v.version));
    if (key.validTo !== undefined) ops.push(deps.repo.delSchedule("material-expiry", key.validTo, key.keyId));
    await deps.repo.commit([...ops, deps.repo.putKey(after)], call.journal, [deps.repo.guardOf(key)]);
  });
  forgetMaterial(deps, req.keyId);
  return {};
}
