import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateWhiteBoxKeyRequest, CreateWhiteBoxKeyResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { newKeyId } from "../../crypto/random.js";
import { generateWhiteBoxKey } from "../../crypto/whitebox/index.js";
import { KmsError } from "../../errors.js";
import { scopeLock, scopeOf, type WhiteBoxDeps } from "../deps.js";
import type { WhiteBoxKeyRecord, WhiteBoxScope } from "../key.js";
import { algorithmOf } from "../present.js";
import { changeWhiteBox } from "../transition.js";
import { assertAlias, assertDescription, assertTags } from "../validate.js";

/** The alias is free in the scope and the scope has room for one more key. */
async function assertRoom(deps: WhiteBoxDeps, scope: WhiteBoxScope, alias: string): Promise<void> {
  if ((await deps.repo.aliasOwner(scope, alias)) !== undefined)
    throw new KmsError("InvalidParameterValue.AliasAlreadyExists", `alias "${alias}" is already used by a white-box key`);
  if ((await deps.repo.count(scope)) >= deps.settings.keyLimit)
    throw new KmsError("LimitExceeded.KeyLimitExceeded", `at most ${deps.settings.keyLimit} white-box keys per account and region`);
}

/**
 * CreateWhiteBoxKey: validate → check alias and room → a fresh key and its
 * two table files (generated off the event loop) → under the scope's lock,
 * check again and write record, alias and the three sealed parts in one batch.
 * With replicas the batch is guarded by the alias's absence and the scope's
 * creation counter read before the count: a creation on another replica
 * meanwhile refuses it, and the check runs again (AliasAlreadyExists or
 * KeyLimitExceeded as a second caller would get).
 */
export async function createWhiteBoxKey(
  deps: WhiteBoxDeps,
  req: CreateWhiteBoxKeyRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CreateWhiteBoxKeyResponseSchema>> {
  assertAlias(req.alias);
  const algorithm = algorithmOf(req.algorithm);
  if (!algorithm) throw new KmsError("InvalidParameterValue", "Algorithm must be AES_256 or SM4");
  assertDescription(req.description);
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  assertTags(tags);
  const scope = scopeOf(call);
  // Refuse early what would be refused anyway: generation costs a table build.
  await assertRoom(deps, scope, req.alias);

  const secret = generateWhiteBoxKey(algorithm);
  try {
    const files = await deps.tables.generate(algorithm, secret);
    const record: WhiteBoxKeyRecord = {
      ...scope,
      keyId: newKeyId(),
      alias: req.alias,
      description: req.description,
      createTime: deps.clock.now(),
      status: "Enabled",
      algorithm,
      creatorUin: call.principal.uin.toString(),
      tags,
      tableId: Buffer.from(files.tableId).toString("hex"),
      fingerprintCount: 0,
    };
    const ops = [
      deps.repo.putRecord(record),
      deps.repo.putAlias(scope, record.alias, record.keyId),
      deps.repo.putMaterial(scope, record.keyId, "key", secret),
      deps.repo.putMaterial(scope, record.keyId, "encrypt-tables", files.encryptTables),
      deps.repo.putMaterial(scope, record.keyId, "decrypt-tables", files.decryptTables),
    ];
    await changeWhiteBox(deps, `white-box alias "${record.alias}"`, [scopeLock(scope)], async () => {
      // Read before the count: a creation that lands after this read fails this batch's guard.
      const creation = await deps.repo.creation(scope);
      await assertRoom(deps, scope, record.alias);
      await deps.repo.commit(call.journal, creation ? [...ops, creation.bump] : ops, [record.keyId], [...deps.repo.absentKey(record), ...(creation ? [creation.guard] : [])]);
    });
    return { encryptKey: files.encryptTables, decryptKey: files.decryptTables, keyId: record.keyId, tagCode: 0, tagMsg: "Success" };
  } finally {
    secret.fill(0);
  }
}
