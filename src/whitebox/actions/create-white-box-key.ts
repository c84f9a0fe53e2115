import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateWhiteBoxKeyRequest, CreateWhiteBoxKeyResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { newKeyId } from "../../crypto/random.js";
import { generateWhiteBoxKey } from "../../crypto/whitebox/index.js";
import { KmsError } from "../../errors.js";
import { scopeLock, scopeOf, type WhiteBoxDeps } from "../deps.js";
import type { WhiteBoxKeyRecord, WhiteBoxScope } from "../key.js";
import { algorithmOf } from "../present.js";
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
    await deps.locks.run([scopeLock(scope)], async () => {
      await assertRoom(deps, scope, record.alias);
      await call.journal(ops, [record.keyId]);
    });
    return { encryptKey: files.encryptTables, decryptKey: files.decryptTables, keyId: record.keyId, tagCode: 0, tagMsg: "Success" };
  } finally {
    secret.fill(0);
  }
}
