import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateAliasRequest, UpdateAliasResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { keyspace } from "../../store/keyspace.js";
import { StoreConflictError } from "../../store/store.js";
import { changeKeys } from "../change.js";
import { aliasLock } from "../locks.js";
import { callScope, findKey } from "../resolver.js";
import { assertAlias, assertKeyId } from "../validate.js";

/** UpdateAlias: moves the alias index entry and the record in one batch, under the key's and the new alias's locks. */
export async function updateAlias(deps: KmsDeps, req: UpdateAliasRequest, call: CallContext): Promise<MessageInitShape<typeof UpdateAliasResponseSchema>> {
  assertKeyId(req.keyId);
  assertAlias(req.alias);
  const scope = callScope(call);
  await changeKeys(
    deps,
    [req.keyId],
    async () => {
      const key = await findKey(deps, call, req.keyId);
      if (key.alias === req.alias) return;
      const owner = await deps.repo.aliasOwner(scope, req.alias);
      // This key took the alias on another replica since its record was read: read again (the answer is then "done").
      if (owner === key.keyId) throw new StoreConflictError([keyspace.key(key.keyId)]);
      if (owner !== undefined) throw new KmsError("InvalidParameterValue.AliasAlreadyExists", `alias "${req.alias}" is already in use`);
      await deps.repo.commit(
        [deps.repo.delAlias(key, key.alias), deps.repo.putAlias(key, req.alias, key.keyId), deps.repo.putKey({ ...key, alias: req.alias })],
        call.journal,
        [deps.repo.guardOf(key), deps.repo.absent(keyspace.alias(scope.account, scope.region, req.alias))],
      );
    },
    [aliasLock(scope, req.alias)],
  );
  return {};
}
