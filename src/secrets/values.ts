/**
 * A version's value at rest: encrypted by the secret's CMK through the key
 * domain, bound by the encryption context to the account, region, secret name,
 * version id and kind (text or binary). A blob copied onto another secret or
 * version, or a kind flipped in storage, does not decrypt.
 */
import type { CallContext } from "../call.js";
import { KmsError } from "../errors.js";
import { CipherIntegrityError, type CipherContext, type SecretsDeps } from "./deps.js";
import type { SealedValue, SecretRecord, SecretScope, SecretValue, ValueKind } from "./secret.js";

/** The encryption context of one version's value. */
export function valueContext(scope: SecretScope, name: string, versionId: string, kind: ValueKind): CipherContext {
  return { "ssm:account": scope.account, "ssm:region": scope.region, "ssm:secret": name, "ssm:version": versionId, "ssm:kind": kind };
}

/** Encrypts a value as version `versionId` of `secret` under the secret's CMK. */
export async function sealValue(deps: Pick<SecretsDeps, "cipher">, call: CallContext, secret: SecretRecord, versionId: string, value: SecretValue): Promise<SealedValue> {
  const blob = await deps.cipher.encrypt(call, secret.kmsKeyId, value.bytes, valueContext(secret, secret.name, versionId, value.kind));
  return { kind: value.kind, blob: Buffer.from(blob).toString("base64") };
}

/**
 * Reads and decrypts one version's value. A missing or unverifiable stored
 * value is InternalError for that secret only (corrupted storage), never an
 * oracle; a CMK the key domain refuses is FailedOperation.AccessKmsError.
 */
export async function openValue(
  deps: Pick<SecretsDeps, "repo" | "cipher">,
  call: CallContext,
  secret: SecretRecord,
  versionId: string,
  /** The sealed value when the caller read it with the record (repository.getWithValue). */
  prefetched?: SealedValue,
): Promise<SecretValue> {
  const sealed = prefetched ?? (await deps.repo.getValue(secret, secret.name, versionId));
  if (!sealed) {
    // Deleted since the record was read (DeleteSecretVersion, a purge): say so; else storage lost it.
    const now = await deps.repo.get(secret, secret.name);
    if (!now?.versions.some((v) => v.versionId === versionId)) throw new KmsError("ResourceNotFound", `secret ${secret.name} has no version ${versionId}`);
    throw new KmsError("InternalError", `the stored value of version ${versionId} of secret ${secret.name} is missing`);
  }
  try {
    const bytes = await deps.cipher.decrypt(call, Buffer.from(sealed.blob, "base64"), valueContext(secret, secret.name, versionId, sealed.kind));
    return { kind: sealed.kind, bytes };
  } catch (err) {
    if (err instanceof CipherIntegrityError)
      throw new KmsError("InternalError", `the stored value of version ${versionId} of secret ${secret.name} failed its integrity check`, err);
    throw err;
  }
}
