import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImportDataKeyRequest, ImportDataKeyResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { DataKeysDeps } from "../deps.js";
import { keepDataKey } from "../records.js";
import { assertHsmClusterId, assertImportedPlaintext, assertNewDataKeyFields } from "../validate.js";

/** Key-domain codes that mean "this is not a ciphertext that opens": for ImportDataKey, bad ImportKeyMaterial. */
const NOT_A_CIPHERTEXT = new Set(["InvalidParameterValue.InvalidCiphertext", "FailedOperation.DecryptError"]);

function invalidMaterial(what: string): KmsError {
  return new KmsError("InvalidParameterValue.InvalidImportKeyMaterial", `ImportKeyMaterial is not ${what}`);
}

/**
 * ImportType 1: a GenerateDataKey ciphertext (without EncryptionContext). It
 * is opened under the CMK it names, which checks it and gives its length, and
 * kept as given; KeyId, if given, must be that CMK.
 */
async function fromCiphertext(deps: DataKeysDeps, call: CallContext, req: ImportDataKeyRequest): Promise<{ keyId: string; blob: Uint8Array; numberOfBytes: number }> {
  const named = deps.cipher.keyIdOf(req.importKeyMaterial);
  if (named === undefined) throw invalidMaterial("a ciphertext made by GenerateDataKey");
  if (req.keyId !== "" && req.keyId !== named) throw new KmsError("InvalidParameterValue.InvalidKeyId", "KeyId is not the key that encrypted ImportKeyMaterial");
  let opened;
  try {
    opened = await deps.cipher.open(call, req.importKeyMaterial, "");
  } catch (err) {
    if (err instanceof KmsError && NOT_A_CIPHERTEXT.has(err.code)) throw invalidMaterial("a ciphertext made by GenerateDataKey without EncryptionContext");
    throw err;
  }
  try {
    assertImportedPlaintext(opened.plaintext);
    return { keyId: opened.keyId, blob: req.importKeyMaterial, numberOfBytes: opened.plaintext.length };
  } finally {
    opened.plaintext.fill(0);
  }
}

/** ImportType 2: the data key itself, sealed under KeyId (required). */
async function fromPlaintext(deps: DataKeysDeps, call: CallContext, req: ImportDataKeyRequest): Promise<{ keyId: string; blob: Uint8Array; numberOfBytes: number }> {
  assertImportedPlaintext(req.importKeyMaterial);
  if (req.keyId === "") throw new KmsError("MissingParameter", "KeyId is required with ImportType 2");
  const sealed = await deps.cipher.seal(call, req.keyId, req.importKeyMaterial, "");
  return { keyId: sealed.keyId, blob: sealed.blob, numberOfBytes: req.importKeyMaterial.length };
}

/** ImportDataKey: validate → open or seal under the CMK → keep (name unique, limit) in one batch. */
export async function importDataKey(deps: DataKeysDeps, req: ImportDataKeyRequest, call: CallContext): Promise<MessageInitShape<typeof ImportDataKeyResponseSchema>> {
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  assertNewDataKeyFields(req.dataKeyName, req.description, tags);
  assertHsmClusterId(deps.settings, req.hsmClusterId);
  if (req.importType !== 1 && req.importType !== 2) throw new KmsError("InvalidParameterValue", "ImportType must be 1 (ciphertext) or 2 (plaintext)");
  const material = req.importType === 1 ? await fromCiphertext(deps, call, req) : await fromPlaintext(deps, call, req);
  const record = await keepDataKey(deps, call, {
    ...material,
    encryptionContext: "",
    origin: "EXTERNAL",
    name: req.dataKeyName,
    description: req.description,
    tags,
  });
  return { keyId: record.keyId, dataKeyId: record.dataKeyId, tagCode: 0, tagMsg: "Success" };
}
