import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImportSecretRequest, ImportSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { BatchOp } from "../../store/store.js";
import { CipherIntegrityError, type SecretsDeps } from "../deps.js";
import { invalidPackage, openPackage, packageKeyContext, parsePackage, type PackageBody } from "../package.js";
import { subjectOf } from "../present.js";
import type { SealedValue, SecretRecord, SecretScope, SecretVersionInfo } from "../secret.js";
import { assertSecretAction, importableStatus, isVersionState } from "../state.js";
import { assertDescription, assertKmsKeyId, assertSecretName, assertTags, assertVersionId, MAX_VALUE_BYTES, MAX_VERSIONS } from "../validate.js";
import { sealValue } from "../values.js";
import { assertRoomFor, countLock, resolveKmsKey, scopeOf, secretExists, underSecretLocks } from "./common.js";

/** The package's data key, unwrapped by the named CMK (or the one the package names). */
async function dataKeyOf(deps: SecretsDeps, call: CallContext, wrappedKey: string, secretName: string, kmsKeyId: string): Promise<Uint8Array> {
  try {
    return await deps.cipher.decrypt(call, Buffer.from(wrappedKey, "base64"), packageKeyContext(secretName), kmsKeyId === "" ? undefined : kmsKeyId);
  } catch (err) {
    if (err instanceof CipherIntegrityError) throw invalidPackage();
    throw err;
  }
}

/** An authenticated body still has to be a secret this service can hold. */
function assertImportable(body: PackageBody): void {
  const s = body.secret;
  const bad = (what: string) => new KmsError("InvalidParameterValue", `the package's ${what}`);
  if (!importableStatus(s.status)) throw bad("secret is neither Enabled nor Disabled");
  if (s.secretType !== 0 && s.secretType !== 2) throw bad("secret is of a type that cannot be imported");
  if ((s.secretType === 2) !== (s.ssh !== undefined)) throw bad("SSH key pair is inconsistent");
  assertDescription(s.description);
  assertTags(s.tags);
  if (body.versions.length > MAX_VERSIONS) throw bad(`secret has more than ${MAX_VERSIONS} versions`);
  const ids = new Set<string>();
  for (const v of body.versions) {
    assertVersionId(v.versionId);
    if (ids.has(v.versionId)) throw bad(`version ${v.versionId} appears twice`);
    ids.add(v.versionId);
    if (!isVersionState(v.state)) throw bad(`version ${v.versionId} has an unknown state`);
    if (v.kind !== "string" && v.kind !== "binary") throw bad(`version ${v.versionId} has an unknown kind`);
  }
}

/**
 * ImportSecret: opens an ExportSecret package (its data key unwrapped by a CMK
 * of this instance holding the exporter's key material), checks it whole, and
 * writes the secret, its versions (values encrypted afresh under this
 * instance's CMK) and its SSH index in one batch. An existing name is refused
 * unless Overwrite, which replaces a live secret whole in that same batch.
 */
export async function importSecret(deps: SecretsDeps, req: ImportSecretRequest, call: CallContext): Promise<MessageInitShape<typeof ImportSecretResponseSchema>> {
  if (req.package.length === 0) throw new KmsError("InvalidParameterValue", "Package is required");
  if (req.kmsKeyId !== "") assertKmsKeyId(req.kmsKeyId);
  if (req.secretKmsKeyId !== "") assertKmsKeyId(req.secretKmsKeyId, "SecretKmsKeyId");
  if (req.secretName !== "") assertSecretName(req.secretName);
  const parsed = parsePackage(req.package);
  const name = req.secretName !== "" ? req.secretName : parsed.header.secretName;
  assertSecretName(name);
  const scope: SecretScope = scopeOf(call);
  const existing = await deps.repo.get(scope, name);
  if (existing && !req.overwrite) throw secretExists(name);
  if (existing) assertSecretAction(existing, "ImportSecret");
  else assertRoomFor(deps, scope);

  const dataKey = await dataKeyOf(deps, call, parsed.header.wrappedKey, parsed.header.secretName, req.kmsKeyId);
  let body: PackageBody;
  try {
    body = openPackage(parsed, dataKey);
  } finally {
    dataKey.fill(0);
  }
  const values = body.versions.map((v) => Buffer.from(v.value, "base64"));
  try {
    if (body.secret.name !== parsed.header.secretName) throw invalidPackage();
    assertImportable(body);
    values.forEach((bytes, i) => {
      if (bytes.length === 0 || bytes.length > MAX_VALUE_BYTES)
        throw new KmsError("InvalidParameterValue", `the package's version ${body.versions[i]!.versionId} has a value of 0 or more than ${MAX_VALUE_BYTES} bytes`);
    });
    const { kmsKeyId, kmsKeyType } = await resolveKmsKey(deps, call, req.secretKmsKeyId, "SecretKmsKeyId");
    const s = body.secret;
    const record: SecretRecord = {
      name,
      ...scope,
      description: s.description,
      kmsKeyId,
      kmsKeyType,
      creatorUin: call.principal.uin.toString(),
      status: s.status,
      secretType: s.secretType,
      createTime: s.createTime,
      additionalConfig: s.additionalConfig,
      tags: s.tags,
      versions: body.versions.map(({ kind: _k, value: _v, ...info }): SecretVersionInfo => info),
      ...(s.ssh ? { ssh: s.ssh } : {}),
    };
    const sealed: [string, SealedValue][] = [];
    for (const [i, v] of body.versions.entries()) sealed.push([v.versionId, await sealValue(deps, call, record, v.versionId, { kind: v.kind, bytes: values[i]! })]);

    // Guarded by what it replaces (or the name's absence) and the SSH index entry it takes: another replica's change meanwhile re-runs it.
    const overwritten = await underSecretLocks(deps, scope, name, async () => {
      const current = await deps.repo.get(scope, name);
      const ops: BatchOp[] = [];
      const guards = [current ? deps.repo.guardOf(current) : deps.repo.absentRecord(scope, name)];
      if (current) {
        if (!req.overwrite) throw secretExists(name);
        assertSecretAction(current, "ImportSecret");
        ops.push(...deps.repo.purgeOps(current));
      } else {
        assertRoomFor(deps, scope);
      }
      if (record.ssh) {
        const owner = await deps.repo.sshKeyOwner(scope, record.ssh.keyId);
        if (owner !== undefined && owner !== current?.name)
          throw new KmsError("FailedOperation", `SSH key pair ${record.ssh.keyId} is already held by secret ${owner}`);
        if (owner === undefined) guards.push(deps.repo.absentSshKey(scope, record.ssh.keyId));
        ops.push(deps.repo.putSshKey(scope, record.ssh.keyId, name));
      }
      ops.push(deps.repo.putRecord(record), ...sealed.map(([versionId, value]) => deps.repo.putValue(scope, name, versionId, value)));
      await deps.repo.commit(ops, call.journal, [subjectOf(name)], { scope, delta: current ? 0 : 1 }, guards);
      return current !== undefined;
    }, [countLock(scope)]);
    return { secretName: name, kmsKeyId, versionCount: record.versions.length, overwritten };
  } finally {
    for (const b of values) b.fill(0);
  }
}
