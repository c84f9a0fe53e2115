import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateAliasRequest, UpdateAliasResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { aliasLock, keyLock } from "../locks.js";
import { callScope, findKey } from "../resolver.js";
import { assertAlias, assertKeyId } from "../validate.js";

/** UpdateAlias: moves the alias index entry and the record in one batch, under the key's and the new alias's locks. */
export async function updateAlias(deps: KmsDeps, req: UpdateAliasRequest, call: CallContext): Promise<MessageInitShape<typeof UpdateAliasResponseSchema>> {
  assertKeyId(req.keyId);
  assertAlias(req.alias);
  const scope = callScope(call);
  await deps.locks.run([keyLock(req.keyId)], () =>
    deps.locks.run([aliasLock(scope, req.alias)], async () => {
      const key = await findKey(deps, call, req.keyId);
      if (key.alias === req.alias) return;
      if ((await deps.repo.aliasOwner(scope, req.alias)) !== undefined)
        throw new KmsError("InvalidParameterValue.AliasAlreadyExists", `alias "${req.alias}" is already in use`);
      await deps.repo.commit([
        deps.repo.delAlias(key, key.alias),
        deps.repo.putAlias(key, req.alias, key.keyId),
        deps.repo.putKey({ ...key, alias: req.alias }),
      ], call.journal);
    }),
  );
  return {};
}
